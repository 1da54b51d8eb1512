// LogSoftMax: registration of the layer type (the arithmetic is SoftMaxBase's).
#include "shoal/nn/log_softmax.hpp"

#include "shoal/nn/layer_registry.hpp"

namespace shoal::nn {

SHOAL_REGISTER_LAYER(LogSoftMax, {"LogSoftMax", {}, [](const LayerArgs&) { return std::make_unique<LogSoftMax>(); }});

}  // namespace shoal::nn
