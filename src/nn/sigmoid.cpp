// Sigmoid: registration of the layer type (the arithmetic is ElementwiseActivation's).
#include "shoal/nn/sigmoid.hpp"

#include "shoal/nn/layer_registry.hpp"

namespace shoal::nn {

SHOAL_REGISTER_LAYER(Sigmoid, {"Sigmoid", {}, [](const LayerArgs&) { return std::make_unique<Sigmoid>(); }});

}  // namespace shoal::nn
