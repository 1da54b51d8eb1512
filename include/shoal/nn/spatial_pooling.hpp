// SpatialPooling: the shared base of SpatialMaxPooling and SpatialAveragePooling (geometry, shapes, passes).
#pragma once
#include <cstdint>
#include <string>

#include "shoal/backend/cpu/pooling.hpp"
#include "shoal/nn/module.hpp"

namespace shoal::nn {

// Input [N, C, H, W] -> output [N, C, OH, OW] with PyTorch's output size (ceil mode included).
// A zero stride means the kernel size; padding is at most half the kernel. Subclasses name the
// layer (typeName) and pick the pooling algorithm.
class SpatialPooling : public Module {
 public:
  SpatialPooling(SpatialPooling&&) = default;

  // While a preceding SpatialConvolution computes this pooling (passesThrough()), training
  // passes the pooled tensor through this layer: a pooled shape too small to pool again is
  // returned as it is (the convolution checks the pooling against its own output).
  Shape outputShape(const Shape& inputShape) const override;
  const backend::cpu::PoolingGeometry& geometry() const { return geometry_; }
  // {"type", "kernel", "stride", "pad", "ceil"}.
  nlohmann::json spec() const override;
  // "Type(KWxKH[, stride W,H][, pad W,H][, ceil])".
  std::string describe() const override;

 protected:
  // `layer` names the layer in argument errors.
  SpatialPooling(const std::string& layer, backend::cpu::PoolingAlgorithm algorithm, int64_t kW,
                 int64_t kH, int64_t dW, int64_t dH, int64_t padW, int64_t padH, bool ceilMode);

  void updateOutput(const Tensor& input) override;
  void updateGradInput(const Tensor& input, const Tensor& gradOutput) override;

  // describe()'s text between the parentheses, for subclasses that add options to it.
  std::string describeGeometry() const;

 private:
  backend::cpu::PoolingGeometry geometry_;
  backend::cpu::Pooling pool_;
};

}  // namespace shoal::nn
