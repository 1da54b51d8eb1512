// SpatialMaxPooling: 2-d max pooling over NCHW batches (BigDL's and Torch's nn.SpatialMaxPooling).
#pragma once
#include <cstdint>

#include "shoal/nn/spatial_pooling.hpp"

namespace shoal::nn {

// Input [N, C, H, W] -> output [N, C, OH, OW] with PyTorch's output size (ceil mode included).
// A zero stride means the kernel size; padding (with -infinity) is at most half the kernel.
class SpatialMaxPooling : public SpatialPooling {
 public:
  SpatialMaxPooling(int64_t kW, int64_t kH, int64_t dW = 0, int64_t dH = 0, int64_t padW = 0,
                    int64_t padH = 0, bool ceilMode = false)
      : SpatialPooling("SpatialMaxPooling", backend::PoolingAlgorithm::Max, kW, kH, dW, dH,
                       padW, padH, ceilMode) {}
  SpatialMaxPooling(SpatialMaxPooling&&) = default;

  std::string typeName() const override { return "SpatialMaxPooling"; }
  // A max pooling can run inside a convolution step before it.
  std::optional<Epilogue> asEpilogue() const override {
    Epilogue e;
    e.kind = Epilogue::Kind::MaxPooling;
    e.pooling = geometry();
    return e;
  }
};

}  // namespace shoal::nn
