// Identity: registration of the layer type.
#include "shoal/nn/identity.hpp"

#include "shoal/nn/layer_registry.hpp"

namespace shoal::nn {

SHOAL_REGISTER_LAYER(Identity, {"Identity", {}, [](const LayerArgs&) { return std::make_unique<Identity>(); }});

}  // namespace shoal::nn
