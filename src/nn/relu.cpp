// ReLU: registration of the layer type (the arithmetic is ElementwiseActivation's).
#include "shoal/nn/relu.hpp"

#include "shoal/nn/layer_registry.hpp"

namespace shoal::nn {

SHOAL_REGISTER_LAYER(ReLU, {"ReLU", {}, [](const LayerArgs&) { return std::make_unique<ReLU>(); }});

}  // namespace shoal::nn
