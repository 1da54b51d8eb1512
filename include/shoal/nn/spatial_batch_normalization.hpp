// SpatialBatchNormalization: per-channel batch normalisation of [N, C, H, W] (BatchNorm2d).
#pragma once
#include "shoal/nn/batch_normalization.hpp"

namespace shoal::nn {

// BatchNormalization over every (N, H, W) position of each channel; same arguments and semantics.
class SpatialBatchNormalization : public BatchNormalization {
 public:
  explicit SpatialBatchNormalization(int64_t nOutput, double eps = 1e-5, double momentum = 0.1,
                                     bool affine = true);
  SpatialBatchNormalization(SpatialBatchNormalization&&) = default;

  std::string typeName() const override { return "SpatialBatchNormalization"; }

 protected:
  // The per-sample shape this layer accepts: {C, H, W}.
  void checkSample(const Shape& sample) const override;
};

}  // namespace shoal::nn
