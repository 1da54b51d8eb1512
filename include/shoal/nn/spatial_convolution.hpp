// SpatialConvolution: 2-d convolution over NCHW batches (Torch's nn.SpatialConvolution).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "shoal/backend/convolution_geometry.hpp"
#include "shoal/backend/convolution_op.hpp"
#include "shoal/nn/module.hpp"

namespace shoal::nn {

// Input [N, In, H, W] -> output [N, Out, OH, OW], OH = (H + 2 padH - kH) / strideH + 1.
// weight [Out, In/groups, kH, kW], bias [Out]; PyTorch's default initialisation (uniform in
// +-1/sqrt(In/groups * kH * kW)) drawn from initGenerator().
// In bf16 precision the convolution reads its input, weights and output gradient as bf16 (the
// reorders into oneDNN's blocked layouts round them, so no separate conversion pass) and
// accumulates in f32; its output is bf16 when the container asks (setOutputBf16: the next
// module reads bf16), else f32; its gradients, the input gradient included, are f32.
// A convolution of fewer than kBf16MinPlanes input planes per group stays f32 in a bf16 model:
// the bf16 kernels pad so thin a reduction (pairs of planes, blocks of 16) and add a reorder of
// the output gradient, and on the 2-core AVX512-BF16 host LeNet-5's two convolutions (1 and 6
// planes) trained about twice as slowly in bf16 with two threads.
class SpatialConvolution : public Module {
 public:
  SpatialConvolution(int64_t nInputPlane, int64_t nOutputPlane, int64_t kernelW, int64_t kernelH,
                     int64_t strideW = 1, int64_t strideH = 1, int64_t padW = 0, int64_t padH = 0,
                     int64_t groups = 1, bool withBias = true);
  SpatialConvolution(SpatialConvolution&&) = default;

  static constexpr int64_t kBf16MinPlanes = 8;
  bool hasBf16Path() const override { return true; }
  bool acceptsBf16Input() const override { return precision_ == Precision::BF16; }
  bool canOutputBf16() const override { return precision_ == Precision::BF16; }
  void setOutputBf16(bool bf16) override;
  // Reads plain or channels-last input (its gradient in the same layout) and writes the layout
  // its container asks for.
  bool acceptsChannelsLastInput() const override { return true; }
  bool canOutputChannelsLast() const override { return true; }
  void setOutputChannelsLast(bool channelsLast) override;

  Shape outputShape(const Shape& inputShape) const override;
  std::string typeName() const override { return "SpatialConvolution"; }
  nlohmann::json spec() const override;
  std::string describe() const override;

  Tensor& weight() { return weight_; }
  Tensor& bias() { return bias_; }
  Tensor& gradWeight() { return gradWeight_; }
  Tensor& gradBias() { return gradBias_; }

  const backend::ConvolutionGeometry& geometry() const { return geometry_; }
  int64_t inputPlanes() const { return nInputPlane_; }

  // With a following ReLU and/or SpatialMaxPooling (windows of at most
  // BlockedMaxPooling::kMaxWindow elements): a step running convolution, ReLU and pooling in
  // oneDNN's blocked layout, pooled with shoal's own kernel (FusedConvolutionStep).
  std::unique_ptr<PlanStep> fuse(std::span<const Epilogue> following) override;
  int64_t flops(std::span<const Shape> in, const Shape& out) const override;

 protected:
  void updateOutput(const Tensor& input) override;
  void updateGradInput(const Tensor& input, const Tensor& gradOutput) override;
  void accGradParameters(const Tensor& input, const Tensor& gradOutput) override;
  std::vector<Parameter> ownParameters() override;
  void resetOwn(Generator& gen) override;
  void precisionChanged() override;
  // gradOutput as f32: itself, or widened into gradOutputF32_.
  const Tensor& f32Gradient(const Tensor& gradOutput);

 private:
  int64_t nInputPlane_;
  backend::ConvolutionGeometry geometry_;
  Tensor weight_, bias_, gradWeight_, gradBias_;
  std::unique_ptr<backend::ConvolutionOp> conv_;
  DType outputType_ = DType::F32;  // bf16 where the container asked and the precision is bf16
  Layout outputLayout_ = Layout::Plain;  // channels-last where the container asked
  Tensor gradOutputF32_;           // a bf16 output gradient widened to f32
};

}  // namespace shoal::nn
