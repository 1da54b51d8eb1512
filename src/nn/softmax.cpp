// SoftMax: registration of the layer type (the arithmetic is SoftMaxBase's).
#include "shoal/nn/softmax.hpp"

#include "shoal/nn/layer_registry.hpp"

namespace shoal::nn {

SHOAL_REGISTER_LAYER(SoftMax, {"SoftMax", {}, [](const LayerArgs&) { return std::make_unique<SoftMax>(); }});

}  // namespace shoal::nn
