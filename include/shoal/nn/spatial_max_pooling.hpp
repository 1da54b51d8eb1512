// SpatialMaxPooling: 2-d max pooling over NCHW batches (BigDL's and Torch's nn.SpatialMaxPooling).
#pragma once
#include <cstdint>

#include "shoal/backend/cpu/pooling.hpp"
#include "shoal/nn/module.hpp"

namespace shoal::nn {

// Input [N, C, H, W] -> output [N, C, OH, OW] with PyTorch's output size (ceil mode included).
// A zero stride means the kernel size; padding (with -infinity) is at most half the kernel.
class SpatialMaxPooling : public Module {
 public:
  SpatialMaxPooling(int64_t kW, int64_t kH, int64_t dW = 0, int64_t dH = 0, int64_t padW = 0,
                    int64_t padH = 0, bool ceilMode = false);
  SpatialMaxPooling(SpatialMaxPooling&&) = default;

  Shape outputShape(const Shape& inputShape) const override;
  std::string typeName() const override { return "SpatialMaxPooling"; }
  nlohmann::json spec() const override;
  std::string describe() const override;

 protected:
  void updateOutput(const Tensor& input) override;
  void updateGradInput(const Tensor& input, const Tensor& gradOutput) override;

 private:
  backend::cpu::PoolingGeometry geometry_;
  backend::cpu::Pooling pool_;
};

}  // namespace shoal::nn
