// Tanh: registration of the layer type (the arithmetic is ElementwiseActivation's).
#include "shoal/nn/tanh.hpp"

#include "shoal/nn/layer_registry.hpp"

namespace shoal::nn {

SHOAL_REGISTER_LAYER(Tanh, {"Tanh", {}, [](const LayerArgs&) { return std::make_unique<Tanh>(); }});

}  // namespace shoal::nn
