// SpatialMaxPooling: registration of the layer type (the arithmetic is SpatialPooling's).
#include "shoal/nn/spatial_max_pooling.hpp"

#include "shoal/nn/layer_registry.hpp"

namespace shoal::nn {

SHOAL_REGISTER_LAYER(SpatialMaxPooling, {"SpatialMaxPooling", {"kernel", "stride", "pad", "ceil"},
                                         [](const LayerArgs& a) {
  auto [kW, kH] = a.kernel();
  auto [dW, dH] = a.pair("stride", {kW, kH});
  auto [pW, pH] = a.pair("pad", {0, 0});
  return std::make_unique<SpatialMaxPooling>(kW, kH, dW, dH, pW, pH, a.flag("ceil", false));
}});

}  // namespace shoal::nn
