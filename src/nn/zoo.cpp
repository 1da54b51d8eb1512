// Specifications of the built-in models.
#include "shoal/nn/zoo.hpp"

#include "shoal/error.hpp"

namespace shoal::nn {

std::vector<std::string> zooModelNames() { return {"mlp", "lenet5"}; }

bool isZooModel(const std::string& name) {
  for (const auto& n : zooModelNames())
    if (n == name) return true;
  return false;
}

nlohmann::json zooSpec(const std::string& name, const Shape& inputShape, int64_t classes,
                       const ZooOptions& options) {
  using nlohmann::json;
  json layers = json::array();
  if (name == "mlp") {
    // The seeds' vanilla MLP: In - hidden... - classes with ReLU, log-probabilities out.
    layers.push_back({{"type", "Flatten"}});
    int64_t in = inputShape.numel();
    for (int64_t h : options.hidden) {
      if (h <= 0) throw UsageError("mlp: hidden sizes must be positive, got " + std::to_string(h));
      layers.push_back({{"type", "Linear"}, {"in", in}, {"out", h}});
      layers.push_back({{"type", "ReLU"}});
      in = h;
    }
    layers.push_back({{"type", "Linear"}, {"in", in}, {"out", classes}});
  } else if (name == "lenet5") {
    // PyTorch's classic LeNet-5 for 1x28x28 inputs.
    if (!(inputShape == Shape{1, 28, 28}))
      throw UsageError("lenet5 expects 1x28x28 images, the data has samples of shape " +
                       inputShape.str());
    auto conv = [](int64_t in, int64_t out, int64_t pad) {
      return json{{"type", "SpatialConvolution"}, {"in", in},         {"out", out},
                  {"kernel", {5, 5}},             {"pad", {pad, pad}}};
    };
    auto pool = json{{"type", "SpatialMaxPooling"}, {"kernel", {2, 2}}, {"stride", {2, 2}}};
    layers = json::array({conv(1, 6, 2), {{"type", "ReLU"}}, pool, conv(6, 16, 0),
                          {{"type", "ReLU"}}, pool, {{"type", "Flatten"}},
                          {{"type", "Linear"}, {"in", 400}, {"out", 120}}, {{"type", "ReLU"}},
                          {{"type", "Linear"}, {"in", 120}, {"out", 84}}, {{"type", "ReLU"}},
                          {{"type", "Linear"}, {"in", 84}, {"out", classes}}});
  } else {
    throw UsageError("unknown model '" + name + "' (built-in models: mlp, lenet5; or a .json spec)");
  }
  layers.push_back({{"type", "LogSoftMax"}});
  return {{"type", "Sequential"}, {"layers", layers}};
}

}  // namespace shoal::nn
