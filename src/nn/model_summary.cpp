// Model summary: each layer's output shape, parameter count and forward FLOPs per sample.
#include "shoal/nn/model_summary.hpp"

#include <cstdio>
#include <sstream>

namespace shoal::nn {
namespace {

// A spec's "kernel" is either k or [kW, kH].
int64_t kernelArea(const nlohmann::json& spec) {
  const auto& k = spec.at("kernel");
  if (k.is_array()) return k.at(0).get<int64_t>() * k.at(1).get<int64_t>();
  return k.get<int64_t>() * k.get<int64_t>();
}

std::string padded(const std::string& s, size_t width, bool right) {
  if (s.size() >= width) return s;
  std::string fill(width - s.size(), ' ');
  return right ? fill + s : s + fill;
}

}  // namespace

std::string withThousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

int64_t forwardFlops(const Module& layer, const Shape& in, const Shape& out) {
  const std::string type = layer.typeName();
  const int64_t outputs = out.numel();
  if (type == "Linear") {
    nlohmann::json spec = layer.spec();
    return 2 * in.numel() * outputs + (spec.value("bias", true) ? outputs : 0);
  }
  if (type == "SpatialConvolution") {
    nlohmann::json spec = layer.spec();
    int64_t groups = spec.value("groups", int64_t{1});
    int64_t perOutput = 2 * (in[0] / groups) * kernelArea(spec);
    return outputs * (perOutput + (spec.value("bias", true) ? 1 : 0));
  }
  if (type == "SpatialMaxPooling" || type == "SpatialAveragePooling")
    return outputs * kernelArea(layer.spec());
  if (type == "BatchNormalization" || type == "SpatialBatchNormalization") return 2 * outputs;
  if (type == "SoftMax" || type == "LogSoftMax") return 3 * outputs;
  if (type == "Flatten" || type == "Reshape" || type == "Identity") return 0;
  if (type == "Sequential") {
    const auto& seq = static_cast<const Sequential&>(layer);
    int64_t total = 0;
    Shape shape = in;
    for (size_t i = 0; i < seq.size(); ++i) {
      Shape next = seq.at(i).outputShape(shape);
      total += forwardFlops(seq.at(i), shape, next);
      shape = next;
    }
    return total;
  }
  return outputs;  // ReLU, Tanh, Sigmoid, Dropout: one operation per element
}

ModelSummary summarize(Sequential& model, const Shape& inputShape) {
  ModelSummary s;
  s.inputShape = inputShape;
  Shape shape = inputShape;
  for (size_t i = 0; i < model.size(); ++i) {
    Module& layer = model.at(i);
    LayerSummary row;
    row.index = static_cast<int64_t>(i) + 1;
    row.description = layer.describe();
    row.outputShape = layer.outputShape(shape);
    row.parameters = layer.parameterCount();
    row.flops = forwardFlops(layer, shape, row.outputShape);
    s.parameters += row.parameters;
    s.flops += row.flops;
    shape = row.outputShape;
    s.layers.push_back(std::move(row));
  }
  return s;
}

std::string ModelSummary::table() const {
  std::vector<std::vector<std::string>> rows{{"#", "layer", "output shape", "parameters", "FLOPs/sample", "share"}};
  auto share = [&](int64_t f) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.1f%%", flops > 0 ? 100.0 * static_cast<double>(f) / flops : 0.0);
    return std::string(buf);
  };
  rows.push_back({"", "input", inputShape.str(), "", "", ""});
  for (const auto& l : layers)
    rows.push_back({std::to_string(l.index), l.description, l.outputShape.str(),
                    withThousands(l.parameters), withThousands(l.flops), share(l.flops)});
  rows.push_back({"", "total", "", withThousands(parameters), withThousands(flops), share(flops)});
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& r : rows)
    for (size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
  const bool rightAligned[] = {true, false, false, true, true, true};
  std::ostringstream out;
  auto rule = [&] {
    size_t total = 0;
    for (size_t w : width) total += w + 2;
    out << std::string(total - 2, '-') << "\n";
  };
  for (size_t r = 0; r < rows.size(); ++r) {
    if (r == 1 || r + 1 == rows.size()) rule();
    std::string line;
    for (size_t c = 0; c < rows[r].size(); ++c)
      line += (c ? "  " : "") + padded(rows[r][c], width[c], rightAligned[c]);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  }
  return out.str();
}

nlohmann::json ModelSummary::toJson() const {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& l : layers)
    rows.push_back({{"index", l.index}, {"layer", l.description}, {"output", l.outputShape.dims()},
                    {"parameters", l.parameters}, {"flops", l.flops}});
  return {{"input", inputShape.dims()}, {"layers", rows}, {"parameters", parameters}, {"flops", flops}};
}

}  // namespace shoal::nn
