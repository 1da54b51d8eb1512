// SpatialPooling: the shared base of SpatialMaxPooling and SpatialAveragePooling (geometry, shapes, passes).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "shoal/backend/pooling_geometry.hpp"
#include "shoal/backend/pooling_op.hpp"
#include "shoal/nn/module.hpp"

namespace shoal::nn {

// The [C, OH, OW] that pooling `g` makes of a [C, H, W] sample; ShapeError naming `layer` when
// the kernel is larger than the padded input. The layer is named through `layer` (a Module or a
// label) only then, so a check that passes allocates nothing.
Shape pooledSampleShape(const backend::PoolingGeometry& g, const Shape& in, const Module& layer);
Shape pooledSampleShape(const backend::PoolingGeometry& g, const Shape& in, const std::string& layer);

// Input [N, C, H, W] -> output [N, C, OH, OW] with PyTorch's output size (ceil mode included).
// A zero stride means the kernel size; padding is at most half the kernel. Subclasses name the
// layer (typeName) and pick the pooling algorithm.
class SpatialPooling : public Module {
 public:
  SpatialPooling(SpatialPooling&&) = default;

  Shape outputShape(const Shape& inputShape) const override;
  // Reads plain or channels-last input (its gradient in the same layout); writes plain.
  bool acceptsChannelsLastInput() const override { return true; }
  const backend::PoolingGeometry& geometry() const { return geometry_; }
  // One operation per window element.
  int64_t flops(std::span<const Shape>, const Shape& out) const override {
    return out.numel() * geometry_.kernelH * geometry_.kernelW;
  }
  // {"type", "kernel", "stride", "pad", "ceil"}.
  nlohmann::json spec() const override;
  // "Type(KWxKH[, stride W,H][, pad W,H][, ceil])".
  std::string describe() const override;

 protected:
  // `layer` names the layer in argument errors.
  SpatialPooling(const std::string& layer, backend::PoolingAlgorithm algorithm, int64_t kW,
                 int64_t kH, int64_t dW, int64_t dH, int64_t padW, int64_t padH, bool ceilMode);

  void updateOutput(const Tensor& input) override;
  void updateGradInput(const Tensor& input, const Tensor& gradOutput) override;

  // describe()'s text between the parentheses, for subclasses that add options to it.
  std::string describeGeometry() const;

 private:
  backend::PoolingGeometry geometry_;
  std::unique_ptr<backend::PoolingOp> pool_;
};

}  // namespace shoal::nn
