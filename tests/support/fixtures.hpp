// Loading of the committed PyTorch golden-value fixtures (tests/fixtures/*.json).
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "shoal/tensor/tensor.hpp"

namespace shoal::testing {

// Parses tests/fixtures/<name>; fails the test with the path when it is missing or malformed.
nlohmann::json loadFixture(const std::string& name);
// {"shape": [..], "data": [..]} -> Tensor.
Tensor tensorFromJson(const nlohmann::json& j);
// Expects every element of `actual` within atol + rtol * |expected| of `expected`.
void expectNear(const Tensor& actual, const Tensor& expected, double rtol, double atol,
                const std::string& what);

}  // namespace shoal::testing
