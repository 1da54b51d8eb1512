// Per-layer weight norm, gradient norm and update-to-weight ratio every N steps (DL4J's UI statistics).
#include "shoal/train/layer_statistics.hpp"

#include <algorithm>
#include <cmath>

#include "shoal/error.hpp"
#include "shoal/nn/flat_parameters.hpp"

namespace shoal::train {

LayerStatistics::LayerStatistics(nn::Module& model, int64_t every)
    : flat_(model.flatParameters()), every_(every) {
  if (every <= 0) throw UsageError("layer statistics: the interval must be positive, got " + std::to_string(every));
  const float* base = flat_.values().data();
  std::vector<nn::Child> children = model.children();
  if (children.empty()) children.push_back({"", &model});  // a model that is one layer
  for (size_t i = 0; i < children.size(); ++i) {
    nn::Module& child = *children[i].module;
    Layer layer{std::to_string(i + 1) + " " + child.describe(), {}};
    for (const nn::Parameter& p : child.parameters())
      layer.ranges.push_back({static_cast<int64_t>(p.value->data() - base), p.value->numel()});
    if (!layer.ranges.empty()) layers_.push_back(std::move(layer));
  }
  before_.resize(static_cast<size_t>(flat_.count()));
}

void LayerStatistics::beforeStep(const TrainState& state) {
  recording_ = due(state.iteration);
  if (!recording_) return;
  const float* values = flat_.values().data();
  std::copy(values, values + flat_.count(), before_.begin());
}

void LayerStatistics::afterStep(const TrainState& state, RunLog& log) {
  if (!recording_) return;
  recording_ = false;
  const float* values = flat_.values().data();
  const float* grads = flat_.grads().data();
  nlohmann::json layers = nlohmann::json::array();
  for (const Layer& layer : layers_) {
    double weight = 0, weightBefore = 0, grad = 0, update = 0;
    for (const Range& r : layer.ranges)
      for (int64_t i = r.offset; i < r.offset + r.count; ++i) {
        double w = values[i], w0 = before_[static_cast<size_t>(i)], g = grads[i];
        weight += w * w, weightBefore += w0 * w0, grad += g * g, update += (w - w0) * (w - w0);
      }
    double ratio = weightBefore > 0 ? std::sqrt(update / weightBefore) : 0.0;
    layers.push_back({{"name", layer.name},
                      {"weight_norm", std::sqrt(weight)},
                      {"grad_norm", std::sqrt(grad)},
                      {"update_norm", std::sqrt(update)},
                      {"update_ratio", ratio}});
  }
  log.record({{"type", "layers"}, {"epoch", state.epoch}, {"iteration", state.iteration}, {"layers", layers}});
}

}  // namespace shoal::train
