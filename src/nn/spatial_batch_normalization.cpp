// SpatialBatchNormalization: the per-sample shape {C, H, W}; everything else is BatchNormalization.
#include "shoal/nn/spatial_batch_normalization.hpp"
#include "shoal/nn/layer_registry.hpp"

#include "shoal/error.hpp"

namespace shoal::nn {

SpatialBatchNormalization::SpatialBatchNormalization(int64_t nOutput, double eps, double momentum,
                                                     bool affine)
    : BatchNormalization("SpatialBatchNormalization", nOutput, eps, momentum, affine) {}

void SpatialBatchNormalization::checkSample(const Shape& in) const {
  if (in.rank() != 3 || in[0] != nOutput_)
    throw ShapeError(label() + ": expected a sample of shape [" + std::to_string(nOutput_) +
                     ", H, W], got " + in.str());
}

SHOAL_REGISTER_LAYER(SpatialBatchNormalization, {"SpatialBatchNormalization", {"n", "eps", "momentum", "affine"},
                                  [](const LayerArgs& a) {
  const Shape& in = a.inputShape();
  return std::make_unique<SpatialBatchNormalization>(a.integer("n", in.rank() ? in[0] : 0), a.number("eps", 1e-5),
                                  a.number("momentum", 0.1), a.flag("affine", true));
}});

}  // namespace shoal::nn
