// SpatialConvolution: 2-d convolution over NCHW batches (Torch's nn.SpatialConvolution).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "shoal/backend/convolution_geometry.hpp"
#include "shoal/backend/convolution_op.hpp"
#include "shoal/backend/eltwise_op.hpp"
#include "shoal/backend/pooling_geometry.hpp"
#include "shoal/nn/module.hpp"

namespace shoal::nn {

// Input [N, In, H, W] -> output [N, Out, OH, OW], OH = (H + 2 padH - kH) / strideH + 1.
// weight [Out, In/groups, kH, kW], bias [Out]; PyTorch's default initialisation (uniform in
// +-1/sqrt(In/groups * kH * kW)) drawn from initGenerator().
class SpatialConvolution : public Module {
 public:
  SpatialConvolution(int64_t nInputPlane, int64_t nOutputPlane, int64_t kernelW, int64_t kernelH,
                     int64_t strideW = 1, int64_t strideH = 1, int64_t padW = 0, int64_t padH = 0,
                     int64_t groups = 1, bool withBias = true);
  SpatialConvolution(SpatialConvolution&&) = default;

  Shape outputShape(const Shape& inputShape) const override;
  std::string typeName() const override { return "SpatialConvolution"; }
  nlohmann::json spec() const override;
  std::string describe() const override;
  std::vector<Parameter> parameters() override;
  void reset(Generator& gen) override;

  Tensor& weight() { return weight_; }
  Tensor& bias() { return bias_; }
  Tensor& gradWeight() { return gradWeight_; }
  Tensor& gradBias() { return gradBias_; }

  // Fuses a following ReLU into the convolution's forward primitive, as Linear does (see
  // Linear::fuseRelu): backward masks the gradient by output > 0 itself. Then (or without a
  // ReLU) fuses a following SpatialMaxPooling: convolution, ReLU and pooling run in oneDNN's
  // blocked layout and output() is the pooled [N, Out, PH, PW] (the ReLU and pooling modules
  // pass it through); outputShape() still gives the convolution's own shape.
  bool fuseNext(const Module& next) override;

 protected:
  void updateOutput(const Tensor& input) override;
  void updateGradInput(const Tensor& input, const Tensor& gradOutput) override;
  void accGradParameters(const Tensor& input, const Tensor& gradOutput) override;
  void updateParameterGradients(const Tensor& input, const Tensor& gradOutput) override;

 private:
  // With a fused ReLU (and no fused pooling, whose backend masks in its own layout):
  // maskedGrad_ = gradOutput where the output is positive, else 0.
  bool masksHere() const { return fusedRelu_ && !fusedPool_; }
  void maskGradient(const Tensor& gradOutput);
  const Tensor& productGrad(const Tensor& gradOutput) const {
    return masksHere() ? maskedGrad_ : gradOutput;
  }
  // The pooled per-sample shape for the convolution's per-sample output `convShape`; throws
  // ShapeError naming the pooling layer when it does not fit.
  Shape pooledShape(const Shape& convShape) const;

  int64_t nInputPlane_;
  backend::ConvolutionGeometry geometry_;
  Tensor weight_, bias_, gradWeight_, gradBias_;
  std::unique_ptr<backend::ConvolutionOp> conv_;
  bool fusedRelu_ = false;
  std::optional<backend::PoolingGeometry> fusedPool_;
  std::string poolLabel_;  // the fused pooling layer's label, for shape errors
  Tensor maskedGrad_;  // [N, Out, OH, OW]
  std::unique_ptr<backend::EltwiseOp> reluMask_;
};

}  // namespace shoal::nn
