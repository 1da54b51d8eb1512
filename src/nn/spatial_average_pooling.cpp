// SpatialAveragePooling: the countIncludePad option on top of SpatialPooling.
#include "shoal/nn/spatial_average_pooling.hpp"
#include "shoal/nn/layer_registry.hpp"

namespace shoal::nn {

SpatialAveragePooling::SpatialAveragePooling(int64_t kW, int64_t kH, int64_t dW, int64_t dH,
                                             int64_t padW, int64_t padH, bool ceilMode,
                                             bool countIncludePad)
    : SpatialPooling("SpatialAveragePooling",
                     countIncludePad ? backend::PoolingAlgorithm::AverageIncludePadding
                                     : backend::PoolingAlgorithm::AverageExcludePadding,
                     kW, kH, dW, dH, padW, padH, ceilMode),
      countIncludePad_(countIncludePad) {}

nlohmann::json SpatialAveragePooling::spec() const {
  nlohmann::json s = SpatialPooling::spec();
  s["countIncludePad"] = countIncludePad_;
  return s;
}

std::string SpatialAveragePooling::describe() const {
  std::string s = typeName() + "(" + describeGeometry();
  if (!countIncludePad_) s += ", padding not counted";
  return s + ")";
}

SHOAL_REGISTER_LAYER(SpatialAveragePooling, {"SpatialAveragePooling",
                                             {"kernel", "stride", "pad", "ceil", "countIncludePad"},
                                             [](const LayerArgs& a) {
  auto [kW, kH] = a.kernel();
  auto [dW, dH] = a.pair("stride", {kW, kH});
  auto [pW, pH] = a.pair("pad", {0, 0});
  return std::make_unique<SpatialAveragePooling>(kW, kH, dW, dH, pW, pH, a.flag("ceil", false),
                                                 a.flag("countIncludePad", true));
}});

}  // namespace shoal::nn
