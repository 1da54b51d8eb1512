// Building modules from their JSON specification, with errors naming the layer and argument.
#include "shoal/nn/model_spec.hpp"

#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "shoal/error.hpp"
#include "shoal/nn/batch_normalization.hpp"
#include "shoal/nn/dropout.hpp"
#include "shoal/nn/flatten.hpp"
#include "shoal/nn/identity.hpp"
#include "shoal/nn/linear.hpp"
#include "shoal/nn/log_softmax.hpp"
#include "shoal/nn/relu.hpp"
#include "shoal/nn/reshape.hpp"
#include "shoal/nn/sigmoid.hpp"
#include "shoal/nn/softmax.hpp"
#include "shoal/nn/spatial_average_pooling.hpp"
#include "shoal/nn/spatial_batch_normalization.hpp"
#include "shoal/nn/spatial_convolution.hpp"
#include "shoal/nn/spatial_max_pooling.hpp"
#include "shoal/nn/tanh.hpp"

namespace shoal::nn {
namespace {

using nlohmann::json;

// One layer's arguments: typed look-ups that name the layer and argument when they fail, and a
// check that no unknown argument is left over (a typo must not be silently ignored).
class LayerArgs {
 public:
  LayerArgs(const json& j, std::string where) : j_(j), where_(std::move(where)) {}

  int64_t integer(const std::string& key) const {
    const json& v = require(key);
    if (!v.is_number_integer()) fail("argument \"" + key + "\" must be an integer, got " + v.dump());
    return v.get<int64_t>();
  }
  int64_t integer(const std::string& key, int64_t fallback) const {
    return has(key) ? integer(key) : fallback;
  }
  double number(const std::string& key, double fallback) const {
    if (!has(key)) return fallback;
    const json& v = j_.at(key);
    if (!v.is_number()) fail("argument \"" + key + "\" must be a number, got " + v.dump());
    return v.get<double>();
  }
  bool flag(const std::string& key, bool fallback) const {
    if (!has(key)) return fallback;
    const json& v = j_.at(key);
    if (!v.is_boolean()) fail("argument \"" + key + "\" must be true or false, got " + v.dump());
    return v.get<bool>();
  }
  // A pair [w, h] or a single integer for both; `fallback` when absent.
  std::pair<int64_t, int64_t> pair(const std::string& key, std::pair<int64_t, int64_t> fallback) const {
    if (!has(key)) return fallback;
    const json& v = j_.at(key);
    if (v.is_number_integer()) return {v.get<int64_t>(), v.get<int64_t>()};
    if (v.is_array() && v.size() == 2 && v[0].is_number_integer() && v[1].is_number_integer())
      return {v[0].get<int64_t>(), v[1].get<int64_t>()};
    fail("argument \"" + key + "\" must be an integer or a pair [w, h], got " + v.dump());
  }
  // The required, positive "kernel" argument.
  std::pair<int64_t, int64_t> kernel() const {
    auto k = pair("kernel", {0, 0});
    if (k.first <= 0 || k.second <= 0) fail("argument \"kernel\" must be given and positive");
    return k;
  }
  std::vector<int64_t> integers(const std::string& key) const {
    const json& v = require(key);
    if (!v.is_array()) fail("argument \"" + key + "\" must be a list of integers, got " + v.dump());
    std::vector<int64_t> out;
    for (const json& e : v) {
      if (!e.is_number_integer()) fail("argument \"" + key + "\" must hold integers, got " + e.dump());
      out.push_back(e.get<int64_t>());
    }
    return out;
  }
  // Throws when `j` has an argument outside `allowed` (plus "type" and "name").
  void allowOnly(std::initializer_list<const char*> allowed) const {
    std::set<std::string> ok{"type", "name"};
    for (const char* a : allowed) ok.insert(a);
    for (const auto& [key, value] : j_.items()) {
      if (ok.count(key)) continue;
      std::string list;
      for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      fail("unknown argument \"" + key + "\" (expected " + (list.empty() ? "none" : list) + ")");
    }
  }
  [[noreturn]] void fail(const std::string& what) const { throw InputError(where_ + ": " + what); }

 private:
  bool has(const std::string& key) const { return j_.contains(key); }
  const json& require(const std::string& key) const {
    if (!has(key)) fail("missing argument \"" + key + "\"");
    return j_.at(key);
  }
  const json& j_;
  std::string where_;
};

using Factory = std::function<std::unique_ptr<Module>(const LayerArgs&, const Shape&)>;

// Channels (or features) of a per-sample input: the first extent.
int64_t leadingExtent(const Shape& in) { return in.rank() ? in[0] : 0; }

const std::map<std::string, Factory>& factories() {
  static const std::map<std::string, Factory> table = {
      {"Linear",
       [](const LayerArgs& a, const Shape& in) {
         a.allowOnly({"in", "out", "bias"});
         return std::make_unique<Linear>(a.integer("in", in.rank() == 1 ? in[0] : in.numel()),
                                         a.integer("out"), a.flag("bias", true));
       }},
      {"ReLU", [](const LayerArgs& a, const Shape&) { a.allowOnly({}); return std::make_unique<ReLU>(); }},
      {"Tanh", [](const LayerArgs& a, const Shape&) { a.allowOnly({}); return std::make_unique<Tanh>(); }},
      {"Sigmoid", [](const LayerArgs& a, const Shape&) { a.allowOnly({}); return std::make_unique<Sigmoid>(); }},
      {"SoftMax", [](const LayerArgs& a, const Shape&) { a.allowOnly({}); return std::make_unique<SoftMax>(); }},
      {"LogSoftMax", [](const LayerArgs& a, const Shape&) { a.allowOnly({}); return std::make_unique<LogSoftMax>(); }},
      {"Identity", [](const LayerArgs& a, const Shape&) { a.allowOnly({}); return std::make_unique<Identity>(); }},
      {"Flatten", [](const LayerArgs& a, const Shape&) { a.allowOnly({}); return std::make_unique<Flatten>(); }},
      {"Dropout",
       [](const LayerArgs& a, const Shape&) {
         a.allowOnly({"p"});
         double p = a.number("p", 0.5);
         if (p < 0 || p >= 1) a.fail("argument \"p\" must be in [0, 1), got " + std::to_string(p));
         return std::make_unique<Dropout>(p);
       }},
      {"Reshape",
       [](const LayerArgs& a, const Shape&) {
         a.allowOnly({"shape"});
         return std::make_unique<Reshape>(Shape(a.integers("shape")));
       }},
      {"SpatialConvolution",
       [](const LayerArgs& a, const Shape& in) {
         a.allowOnly({"in", "out", "kernel", "stride", "pad", "groups", "bias"});
         auto [kW, kH] = a.kernel();
         auto [sW, sH] = a.pair("stride", {1, 1});
         auto [pW, pH] = a.pair("pad", {0, 0});
         return std::make_unique<SpatialConvolution>(a.integer("in", leadingExtent(in)),
                                                     a.integer("out"), kW, kH, sW, sH, pW, pH,
                                                     a.integer("groups", 1), a.flag("bias", true));
       }},
      {"SpatialMaxPooling",
       [](const LayerArgs& a, const Shape&) {
         a.allowOnly({"kernel", "stride", "pad", "ceil"});
         auto [kW, kH] = a.kernel();
         auto [dW, dH] = a.pair("stride", {kW, kH});
         auto [pW, pH] = a.pair("pad", {0, 0});
         return std::make_unique<SpatialMaxPooling>(kW, kH, dW, dH, pW, pH, a.flag("ceil", false));
       }},
      {"SpatialAveragePooling",
       [](const LayerArgs& a, const Shape&) {
         a.allowOnly({"kernel", "stride", "pad", "ceil", "countIncludePad"});
         auto [kW, kH] = a.kernel();
         auto [dW, dH] = a.pair("stride", {kW, kH});
         auto [pW, pH] = a.pair("pad", {0, 0});
         return std::make_unique<SpatialAveragePooling>(kW, kH, dW, dH, pW, pH,
                                                        a.flag("ceil", false),
                                                        a.flag("countIncludePad", true));
       }},
      {"SpatialBatchNormalization",
       [](const LayerArgs& a, const Shape& in) {
         a.allowOnly({"n", "eps", "momentum", "affine"});
         return std::make_unique<SpatialBatchNormalization>(
             a.integer("n", leadingExtent(in)), a.number("eps", 1e-5), a.number("momentum", 0.1),
             a.flag("affine", true));
       }},
      {"BatchNormalization",
       [](const LayerArgs& a, const Shape& in) {
         a.allowOnly({"n", "eps", "momentum", "affine"});
         return std::make_unique<BatchNormalization>(a.integer("n", leadingExtent(in)),
                                                     a.number("eps", 1e-5),
                                                     a.number("momentum", 0.1),
                                                     a.flag("affine", true));
       }},
  };
  return table;
}

const json& layerList(const json& spec, const std::string& source) {
  if (spec.is_array()) return spec;
  if (spec.is_object() && spec.contains("layers")) {
    if (spec.contains("type") && spec["type"] != "Sequential")
      throw InputError(source + ": the top-level \"type\" must be \"Sequential\", got " +
                       spec["type"].dump());
    if (spec["layers"].is_array()) return spec["layers"];
  }
  throw InputError(source + ": expected a list of layers or an object with a \"layers\" list");
}

}  // namespace

std::vector<std::string> knownLayerTypes() {
  std::vector<std::string> names;
  for (const auto& [name, factory] : factories()) names.push_back(name);
  return names;
}

std::unique_ptr<Sequential> buildModel(const json& spec, const Shape& inputShape,
                                       const std::string& source) {
  const json& layers = layerList(spec, source);
  if (layers.empty()) throw InputError(source + ": the model has no layers");
  auto model = std::make_unique<Sequential>();
  Shape shape = inputShape;
  for (size_t i = 0; i < layers.size(); ++i) {
    const json& layer = layers[i];
    std::string where = source + ": layer " + std::to_string(i + 1);
    if (!layer.is_object() || !layer.contains("type") || !layer["type"].is_string())
      throw InputError(where + ": expected an object with a string \"type\"");
    std::string type = layer["type"].get<std::string>();
    auto it = factories().find(type);
    if (it == factories().end()) {
      std::string known;
      for (const auto& n : knownLayerTypes()) known += (known.empty() ? "" : ", ") + n;
      throw InputError(where + ": unknown layer type \"" + type + "\" (known: " + known + ")");
    }
    try {
      model->add(it->second(LayerArgs(layer, where + " (" + type + ")"), shape));
      shape = model->at(i).outputShape(shape);
    } catch (const InputError&) {
      throw;
    } catch (const Error& e) {
      throw ShapeError(source + ": " + e.what());
    }
  }
  return model;
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
