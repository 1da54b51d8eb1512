// SpatialAveragePooling: 2-d average pooling over NCHW batches (Torch's nn.SpatialAveragePooling).
#pragma once
#include <cstdint>

#include "shoal/nn/spatial_pooling.hpp"

namespace shoal::nn {

// Input [N, C, H, W] -> output [N, C, OH, OW] with PyTorch's output size (ceil mode included).
// A zero stride means the kernel size; padding (with zeros) is at most half the kernel.
// countIncludePad divides by the window size clipped to the padded input, otherwise by the
// number of input elements in the window (PyTorch's count_include_pad).
class SpatialAveragePooling : public SpatialPooling {
 public:
  SpatialAveragePooling(int64_t kW, int64_t kH, int64_t dW = 0, int64_t dH = 0, int64_t padW = 0,
                        int64_t padH = 0, bool ceilMode = false, bool countIncludePad = true);
  SpatialAveragePooling(SpatialAveragePooling&&) = default;

  std::string typeName() const override { return "SpatialAveragePooling"; }
  nlohmann::json spec() const override;
  std::string describe() const override;

 private:
  bool countIncludePad_;
};

}  // namespace shoal::nn
