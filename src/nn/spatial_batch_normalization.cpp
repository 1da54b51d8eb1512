// SpatialBatchNormalization: the per-sample shape {C, H, W}; everything else is BatchNormalization.
#include "shoal/nn/spatial_batch_normalization.hpp"

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

}  // namespace shoal::nn
