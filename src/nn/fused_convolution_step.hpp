// FusedConvolutionStep: a SpatialConvolution with the ReLU and/or max pooling after it, in oneDNN's blocked layout.
#pragma once
#include <optional>

#include <memory>

#include "shoal/backend/convolution_op.hpp"
#include "shoal/backend/eltwise_op.hpp"
#include "shoal/nn/plan_step.hpp"
#include "shoal/nn/spatial_convolution.hpp"

namespace shoal::nn {

// Forward: input [N, In, H, W] -> the convolution's [N, Out, OH, OW] through max(0, .) (an
// eltwise post-op) and, with a pooling, -> the pooled [N, Out, PH, PW] that shoal's blocked
// max-pooling kernel writes straight from the convolution's layout. Backward takes the gradient
// of that last output: without a pooling it masks it by output > 0 here; with one, the pooling's
// backward routes it (ReLU mask included) into the convolution's layout. The convolution's
// gradients are added to the layer's.
// In bf16 precision with a pooling, the convolution writes its result in bf16, the pooling reads
// it, and the pooled output is bf16 when the plan asks (the next step reads bf16; its gradient
// then comes back in bf16), else f32. Without a pooling the output stays f32.
class FusedConvolutionStep : public PlanStep {
 public:
  struct Epilogues {
    bool relu = false;
    std::optional<backend::PoolingGeometry> maxPooling;
    std::string poolingLabel;  // for shape errors
  };
  FusedConvolutionStep(SpatialConvolution& layer, Epilogues epilogues);

  size_t modules() const override { return 1 + (epilogues_.relu ? 1 : 0) + (epilogues_.maxPooling ? 1 : 0); }
  const Tensor& forward(const Tensor& input) override;
  const Tensor& backward(const Tensor& input, const Tensor& gradOutput) override;
  void backwardParameters(const Tensor& input, const Tensor& gradOutput) override;
  bool canOutputBf16() const override {
    return layer_.precision() == Precision::BF16 && epilogues_.maxPooling.has_value();
  }
  void setOutputBf16(bool bf16) override { outputBf16_ = bf16; }
  // Reads plain or channels-last input (its gradient in the same layout); without a pooling,
  // writes the layout the container asks for.
  bool acceptsChannelsLastInput() const override { return true; }
  bool canOutputChannelsLast() const override { return !epilogues_.maxPooling; }
  void setOutputChannelsLast(bool channelsLast) override;

 private:
  // The per-sample output for a per-sample input (pooled when a pooling is fused).
  Shape outputShape(const Shape& sample) const;
  // The gradient the convolution's products take: masked into maskedGrad_ when a ReLU is fused
  // without a pooling, else gradOutput itself.
  const Tensor& productGrad(const Tensor& gradOutput);

  SpatialConvolution& layer_;
  Epilogues epilogues_;
  std::unique_ptr<backend::ConvolutionOp> conv_;
  std::unique_ptr<backend::EltwiseOp> reluMask_;
  bool outputBf16_ = false;  // the pooled output is bf16 (canOutputBf16)
  Layout outputLayout_ = Layout::Plain;  // channels-last where the container asked
  Tensor output_, maskedGrad_, gradInput_;
};

}  // namespace shoal::nn
