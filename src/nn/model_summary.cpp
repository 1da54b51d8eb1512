// Model summary: each layer's output shape, parameter count, forward FLOPs per sample and the precision its plan runs it in.
#include "shoal/nn/model_summary.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace shoal::nn {
namespace {

std::string padded(const std::string& s, size_t width, bool right) {
  if (s.size() >= width) return s;
  std::string fill(width - s.size(), ' ');
  return right ? fill + s : s + fill;
}

std::string_view typeText(DType t) { return t == DType::BF16 ? "bf16" : "fp32"; }

// What the plan runs `run` in, in a model with bf16 layers (see LayerSummary::precision);
// `owner` is the child whose step computes it when it is an epilogue.
std::string precisionInPlan(const ChildRun& run, const ChildRun* owner, int64_t flops) {
  Module& layer = *run.child.module;
  if (owner)
    return precisionLabel(*owner->child.module) + " (fused into #" +
           std::to_string(run.fusedInto + 1) + ")";
  if (!layer.children().empty()) return precisionLabel(layer);  // a container within the model
  if (layer.passesElementType()) return std::string(typeText(run.writes));
  if (layer.precision() == Precision::BF16) {
    std::string s = "bf16";
    if (layer.acceptsBf16Input() && run.reads == DType::F32) s += ", rounds its fp32 input";
    if (run.writes == DType::F32) s += ", writes fp32";
    return s;
  }
  std::string s = "fp32";
  if (layer.hasBf16Path())
    s += " (bf16 does not pay here)";
  else if (flops > 0)
    s += " (no bf16 path)";
  if (run.reads == DType::BF16) s += ", widens its bf16 input";
  return s;
}

}  // namespace

std::string precisionLabel(Module& module) {
  bool bf16 = false, f32 = false;
  module.apply([&](const std::string&, Module& m) {
    if (m.children().empty()) (m.precision() == Precision::BF16 ? bf16 : f32) = true;
  });
  return bf16 && f32 ? "mixed" : bf16 ? "bf16" : "fp32";
}

std::string withThousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

ModelSummary summarize(Module& model, const Shape& inputShape) {
  ModelSummary s;
  s.inputShape = inputShape;
  const Shape inputs[] = {inputShape};
  std::vector<ChildRun> runs = model.childRuns(inputs);
  if (runs.empty()) runs.push_back({{"", &model}, {inputShape}, model.outputShape(inputShape)});
  bool modelHasBf16 = false;
  model.apply([&](const std::string&, Module& m) {
    modelHasBf16 = modelHasBf16 || m.precision() == Precision::BF16;
  });
  for (size_t i = 0; i < runs.size(); ++i) {
    const ChildRun& run = runs[i];
    Module& layer = *run.child.module;
    const bool numbered = std::all_of(run.child.name.begin(), run.child.name.end(),
                                      [](char c) { return c >= '0' && c <= '9'; });
    LayerSummary row;
    row.index = static_cast<int64_t>(i) + 1;
    row.description = numbered ? layer.describe() : run.child.name + " = " + layer.describe();
    row.outputShape = run.outputShape;
    row.parameters = layer.parameterCount();
    row.flops = layer.flops(run.inputShapes, run.outputShape);
    const ChildRun* owner = run.fusedInto >= 0 ? &runs[static_cast<size_t>(run.fusedInto)] : nullptr;
    row.precision = modelHasBf16 ? precisionInPlan(run, owner, row.flops) : precisionLabel(layer);
    s.parameters += row.parameters;
    s.flops += row.flops;
    s.layers.push_back(std::move(row));
  }
  return s;
}

std::string ModelSummary::table() const {
  std::vector<std::vector<std::string>> rows{
      {"#", "layer", "output shape", "parameters", "FLOPs/sample", "share", "precision"}};
  auto share = [&](int64_t f) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.1f%%", flops > 0 ? 100.0 * static_cast<double>(f) / flops : 0.0);
    return std::string(buf);
  };
  rows.push_back({"", "input", inputShape.str(), "", "", "", ""});
  for (const auto& l : layers)
    rows.push_back({std::to_string(l.index), l.description, l.outputShape.str(),
                    withThousands(l.parameters), withThousands(l.flops), share(l.flops),
                    l.precision});
  rows.push_back({"", "total", "", withThousands(parameters), withThousands(flops), share(flops), ""});
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& r : rows)
    for (size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
  const bool rightAligned[] = {true, false, false, true, true, true, false};
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
                    {"parameters", l.parameters}, {"flops", l.flops}, {"precision", l.precision}});
  return {{"input", inputShape.dims()}, {"layers", rows}, {"parameters", parameters}, {"flops", flops}};
}

}  // namespace shoal::nn
