// Finite-difference gradient checker for modules and criteria (double-precision reference, kinks skipped).
#pragma once
#include <cstdint>

#include "shoal/nn/criterion.hpp"
#include "shoal/nn/module.hpp"

namespace shoal::testing {

struct GradCheckOptions {
  double step = 1e-2;       // central-difference step
  double tolerance = 2e-2;  // allowed |analytic - numeric| / max(1, |analytic|, |numeric|)
  uint64_t seed = 7;        // for the random projection of the output
  int64_t maxChecks = 400;  // elements checked per tensor (evenly spread)
};

// Checks d/dx and d/dparams of L(x) = sum(r * module(x)) for a fixed random r, element by
// element against central differences (in memory order: a channels-last input, output and
// input gradient are compared as they lie). An element whose one-sided differences disagree (a kink
// of ReLU or max-pooling inside the step) is skipped. Reports failures through GoogleTest.
void expectModuleGradients(nn::Module& module, const Tensor& input, const GradCheckOptions& options = {});

// Checks d/dinput of criterion.forward(input, target) the same way.
void expectCriterionGradient(nn::Criterion& criterion, const Tensor& input, const Tensor& target,
                             const GradCheckOptions& options = {});

// A tensor of `shape` with values uniform in [lo, hi) from `seed`.
Tensor randomTensor(const Shape& shape, uint64_t seed, float lo = -1.0f, float hi = 1.0f);

}  // namespace shoal::testing
