// JSON model specification: build a network from a list of layers, checking that shapes chain.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "shoal/nn/sequential.hpp"

namespace shoal::nn {

// Accepts {"type": "Sequential", "layers": [...]}, {"layers": [...]} or a bare list of layers;
// each layer is {"type": "<BigDL name>", args...} (README: "Writing a model in JSON").
// Sizes that follow from the input ("in" of Linear and SpatialConvolution, "n" of the batch
// normalisations) may be left out. Throws ShapeError or InputError starting with `source` and
// naming the layer when a layer is unknown, an argument is missing or wrong, or shapes do not
// chain for a per-sample `inputShape`.
std::unique_ptr<Sequential> buildModel(const nlohmann::json& spec, const Shape& inputShape,
                                       const std::string& source = "model spec");

// Parses a JSON file; syntax errors are reported as path:line:column.
nlohmann::json readJsonFile(const std::string& path);

// The layer types buildModel knows.
std::vector<std::string> knownLayerTypes();

}  // namespace shoal::nn
