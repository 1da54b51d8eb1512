// Building modules from their JSON specification through the layer registry, with errors naming the layer and argument.
#include "shoal/nn/model_spec.hpp"

#include <fstream>
#include <algorithm>
#include <sstream>

#include "shoal/error.hpp"
#include "shoal/nn/layer_registry.hpp"

namespace shoal::nn {

using nlohmann::json;

std::unique_ptr<Module> buildModule(const json& node, std::span<const Shape> inputShapes,
                                    const std::string& where) {
  if (!node.is_object() || !node.contains("type") || !node["type"].is_string())
    throw InputError(where + ": expected an object with a string \"type\"");
  std::string type = node["type"].get<std::string>();
  const LayerType* layer = findLayerType(type);
  if (!layer) {
    std::string known;
    for (const auto& n : knownLayerTypes()) known += (known.empty() ? "" : ", ") + n;
    throw InputError(where + ": unknown layer type \"" + type + "\" (known: " + known + ")");
  }
  LayerArgs args(node, where, type, inputShapes);
  for (const auto& [key, value] : node.items()) {
    if (key == "type" || key == "name" || key == "inputs") continue;
    if (std::find(layer->arguments.begin(), layer->arguments.end(), key) != layer->arguments.end())
      continue;
    std::string list;
    for (const auto& a : layer->arguments) list += (list.empty() ? "" : ", ") + a;
    args.fail("unknown argument \"" + key + "\" (expected " + (list.empty() ? "none" : list) + ")");
  }
  try {
    return layer->build(args);
  } catch (const UsageError& e) {  // a constructor's argument check
    throw ShapeError(where + ": " + e.what());
  } catch (const nlohmann::json::exception& e) {  // a builder's look-up the JSON does not satisfy
    throw InputError(where + " (" + type + "): " + e.what());
  }
}

std::unique_ptr<Module> buildModel(const json& spec, const Shape& inputShape,
                                   const std::string& source) {
  const Shape inputs[] = {inputShape};
  if (spec.is_array()) return buildModule({{"type", "Sequential"}, {"layers", spec}}, inputs, source);
  if (spec.is_object() && spec.contains("layers") && !spec.contains("type"))
    return buildModule({{"type", "Sequential"}, {"layers", spec["layers"]}}, inputs, source);
  if (spec.is_object() && spec.contains("layers") && spec["type"] != "Sequential")
    throw InputError(source + ": the top-level \"type\" must be \"Sequential\" when \"layers\" is given, got " +
                     spec["type"].dump());
  if (!spec.is_object() || !spec.contains("type"))
    throw InputError(source + ": expected a list of layers or an object with a \"layers\" list "
                              "(or a \"Graph\" with \"nodes\")");
  return buildModule(spec, inputs, source);
}

json readJsonFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot open the file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    size_t at = std::min(e.byte > 0 ? e.byte - 1 : 0, text.size());
    long line = 1, column = 1;
    for (size_t k = 0; k < at; ++k) {
      if (text[k] == '\n') ++line, column = 1;
      else ++column;
    }
    std::string what = e.what();
    auto cut = what.find("parse error");
    throw InputError::at(path, line, column,
                         "invalid JSON: " + (cut == std::string::npos ? what : what.substr(cut)));
  }
}

}  // namespace shoal::nn
