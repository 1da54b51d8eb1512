// Specifications of the built-in models.
#include "shoal/nn/zoo.hpp"

#include "shoal/error.hpp"

namespace shoal::nn {

std::vector<std::string> zooModelNames() { return {"mlp", "lenet5", "resnet", "tabular"}; }

bool isZooModel(const std::string& name) {
  for (const auto& n : zooModelNames())
    if (n == name) return true;
  return false;
}

namespace {

using nlohmann::json;

// A Graph spec's node list, built one named node at a time; each call returns the node's name
// for the next node's inputs.
struct GraphNodes {
  json nodes = json::array();
  std::string operator()(const std::string& name, json spec, std::vector<std::string> inputs) {
    spec["name"] = name;
    spec["inputs"] = std::move(inputs);
    nodes.push_back(std::move(spec));
    return name;
  }
};

// A small residual network for 1xHxW images (28x28: Fashion-MNIST) as a Graph: a 3x3 stem
// convolution, one basic block per stage of `widths` channels (the first stage keeps the size,
// each later one halves it with a stride-2 convolution and a 1x1 projection on the shortcut),
// global average pooling and a linear classifier (He et al.'s CIFAR ResNets, scaled down).
json resnetSpec(const Shape& inputShape, int64_t classes, const std::vector<int64_t>& widths) {
  if (inputShape.rank() != 3 || inputShape[0] != 1 || inputShape[1] < 8 || inputShape[2] < 8)
    throw UsageError("resnet expects 1xHxW images of at least 8x8, the data has samples of shape " +
                     inputShape.str());
  GraphNodes node;
  auto conv = [](int64_t in, int64_t out, int64_t kernel, int64_t stride) {
    return json{{"type", "SpatialConvolution"}, {"in", in}, {"out", out}, {"kernel", kernel},
                {"stride", stride}, {"pad", kernel / 2}, {"bias", false}};
  };
  auto bn = [] { return json{{"type", "SpatialBatchNormalization"}}; };
  auto relu = [] { return json{{"type", "ReLU"}}; };
  std::string x = node("stem_conv", conv(1, widths[0], 3, 1), {"input"});
  x = node("stem_bn", bn(), {x});
  x = node("stem_relu", relu(), {x});
  int64_t in = widths[0];
  int64_t h = inputShape[1], w = inputShape[2];
  for (size_t s = 0; s < widths.size(); ++s) {
    const int64_t out = widths[s], stride = s == 0 ? 1 : 2;
    const std::string b = "block" + std::to_string(s + 1);
    std::string y = node(b + "_conv1", conv(in, out, 3, stride), {x});
    y = node(b + "_bn1", bn(), {y});
    y = node(b + "_relu1", relu(), {y});
    y = node(b + "_conv2", conv(out, out, 3, 1), {y});
    y = node(b + "_bn2", bn(), {y});
    std::string shortcut = x;
    if (stride != 1 || in != out) {
      shortcut = node(b + "_proj", conv(in, out, 1, stride), {x});
      shortcut = node(b + "_proj_bn", bn(), {shortcut});
    }
    y = node(b + "_add", json{{"type", "CAddTable"}}, {y, shortcut});
    x = node(b + "_relu2", relu(), {y});
    in = out;
    h = (h - 1) / stride + 1, w = (w - 1) / stride + 1;
  }
  x = node("pool", json{{"type", "SpatialAveragePooling"}, {"kernel", {w, h}}}, {x});
  x = node("flatten", json{{"type", "Flatten"}}, {x});
  x = node("fc", json{{"type", "Linear"}, {"in", in}, {"out", classes}}, {x});
  node("log_probabilities", json{{"type", "LogSoftMax"}}, {x});
  return {{"type", "Graph"}, {"input_names", {"input"}}, {"nodes", node.nodes}, {"output", "log_probabilities"}};
}

// The seeds' vanilla MLP on an encoded table row (TableInput) as a Graph: the dense features and
// each embedded column's category index are cut out of the row (Narrow), every index goes
// through its own Embedding, and the concatenation feeds Linear-ReLU layers of `hidden` sizes and
// a linear classifier with log-probabilities out.
json tabularSpec(const Shape& inputShape, int64_t classes, const TableInput& table,
                 const std::vector<int64_t>& hidden) {
  const int64_t width = table.dense + static_cast<int64_t>(table.embedded.size());
  if (inputShape.rank() != 1 || inputShape[0] != width)
    throw UsageError("tabular: the table's rows encode to " + std::to_string(width) +
                     " values, the data has samples of shape " + inputShape.str() +
                     " (tabular is built from a table read with its schema)");
  GraphNodes node;
  std::vector<std::string> parts;
  int64_t in = 0;
  if (table.dense > 0) {
    parts.push_back(node("dense", json{{"type", "Narrow"}, {"offset", 0}, {"length", table.dense}}, {"input"}));
    in += table.dense;
  }
  for (size_t k = 0; k < table.embedded.size(); ++k) {
    const auto& e = table.embedded[k];
    const std::string id = std::to_string(k);
    std::string x = node("category" + id,
                         json{{"type", "Narrow"}, {"offset", table.dense + static_cast<int64_t>(k)}, {"length", 1}},
                         {"input"});
    x = node("embedding" + id, json{{"type", "Embedding"}, {"count", e.categories}, {"dim", e.dim}}, {x});
    parts.push_back(node("embedded" + id, json{{"type", "Flatten"}}, {x}));
    in += e.dim;
  }
  std::string x = parts.size() == 1 ? parts[0] : node("features", json{{"type", "JoinTable"}}, parts);
  for (size_t i = 0; i < hidden.size(); ++i) {
    if (hidden[i] <= 0) throw UsageError("tabular: hidden sizes must be positive, got " + std::to_string(hidden[i]));
    x = node("fc" + std::to_string(i + 1), json{{"type", "Linear"}, {"in", in}, {"out", hidden[i]}}, {x});
    x = node("relu" + std::to_string(i + 1), json{{"type", "ReLU"}}, {x});
    in = hidden[i];
  }
  x = node("classifier", json{{"type", "Linear"}, {"in", in}, {"out", classes}}, {x});
  node("log_probabilities", json{{"type", "LogSoftMax"}}, {x});
  return {{"type", "Graph"}, {"input_names", {"input"}}, {"nodes", node.nodes}, {"output", "log_probabilities"}};
}

}  // namespace

nlohmann::json zooSpec(const std::string& name, const Shape& inputShape, int64_t classes,
                       const ZooOptions& options) {
  if (name == "resnet") return resnetSpec(inputShape, classes, options.resnetWidths);
  if (name == "tabular") return tabularSpec(inputShape, classes, options.table, options.hidden);
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
    throw UsageError("unknown model '" + name + "' (built-in models: mlp, lenet5, resnet, tabular; or a .json spec)");
  }
  layers.push_back({{"type", "LogSoftMax"}});
  return {{"type", "Sequential"}, {"layers", layers}};
}

}  // namespace shoal::nn
