// JSON model specification: build a network from a list of layers, checking that shapes chain.
#pragma once
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "shoal/nn/module.hpp"

namespace shoal::nn {

// Builds a model from its JSON specification: {"type": "Sequential", "layers": [...]},
// {"layers": [...]} or a bare list of layers (a Sequential), {"type": "Graph", ...} (see graph.hpp)
// or any other layer object; each layer is {"type": "<BigDL name>", args...} (README: "Writing a
// model in JSON"). Sizes that follow from the input ("in" of Linear and SpatialConvolution, "n"
// of the batch normalisations) may be left out. Throws ShapeError or InputError starting with
// `source` and naming the layer or node when a layer is unknown, an argument is missing or wrong,
// or shapes do not chain for a per-sample `inputShape`.
std::unique_ptr<Module> buildModel(const nlohmann::json& spec, const Shape& inputShape,
                                   const std::string& source = "model spec");

// One module from its JSON object through the layer registry, for inputs of per-sample shapes
// `inputShapes`; errors start with `where`. Containers build their children with it.
std::unique_ptr<Module> buildModule(const nlohmann::json& node, std::span<const Shape> inputShapes,
                                    const std::string& where);

// Parses a JSON file; syntax errors are reported as path:line:column.
nlohmann::json readJsonFile(const std::string& path);

}  // namespace shoal::nn
