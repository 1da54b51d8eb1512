// Linear: the fully connected layer y = x W^T + b (Torch's nn.Linear).
#pragma once
#include <cstdint>
#include <memory>

#include "shoal/backend/matmul_op.hpp"
#include "shoal/nn/module.hpp"

namespace shoal::nn {

// Input [N, In] -> output [N, Out]; weight [Out, In] (Torch layout), bias [Out].
// Initialised at construction from initGenerator() like PyTorch: weight and bias uniform in
// +-1/sqrt(In).
// In bf16 precision the products read bf16 input, weights and output gradient and accumulate
// in f32: the weights come from the flat bf16 copy the optimiser writes (converted here on each
// forward when the model has none), an f32 input or output gradient is rounded on the way in,
// the bias and the weight gradients stay f32, and the output is bf16 when the container asks
// (setOutputBf16), else f32. The input gradient has the input's element type.
class Linear : public Module {
 public:
  Linear(int64_t inFeatures, int64_t outFeatures, bool withBias = true);
  Linear(Linear&&) = default;

  int64_t inFeatures() const { return in_; }
  int64_t outFeatures() const { return out_; }
  bool withBias() const { return withBias_; }
  Tensor& weight() { return weight_; }
  Tensor& bias() { return bias_; }  // undefined without bias
  Tensor& gradWeight() { return gradWeight_; }
  Tensor& gradBias() { return gradBias_; }  // undefined without bias

  // With a following ReLU: a step computing relu(x W^T + b) in one oneDNN primitive (an eltwise
  // post-op), whose backward masks the gradient by output > 0 itself (FusedLinearStep).
  std::unique_ptr<PlanStep> fuse(std::span<const Epilogue> following) override;

  bool hasBf16Path() const override { return true; }
  bool acceptsBf16Input() const override { return precision_ == Precision::BF16; }
  bool canOutputBf16() const override { return precision_ == Precision::BF16; }
  void setOutputBf16(bool bf16) override { outputBf16_ = bf16; }

  Shape outputShape(const Shape& inputShape) const override;
  std::string typeName() const override { return "Linear"; }
  nlohmann::json spec() const override;
  std::string describe() const override;
  int64_t flops(std::span<const Shape> in, const Shape& out) const override;

 protected:
  void updateOutput(const Tensor& input) override;
  void updateGradInput(const Tensor& input, const Tensor& gradOutput) override;
  void accGradParameters(const Tensor& input, const Tensor& gradOutput) override;
  std::vector<Parameter> ownParameters() override;
  // Redraws weight and bias (in that order) uniform in +-1/sqrt(In) from `gen`.
  void resetOwn(Generator& gen) override;

 private:
  friend class FusedLinearStep;  // computes this layer's maths with a fused ReLU

  // Weight and bias gradients += (or =, overwriteGrads_) their share from x [N, In] and
  // gy [N, Out] through `matmul`: one product; or, while a GradientListener watches a weight of
  // at least kBlockedGradientElements, the bias first and then kGradientBlocks blocks of rows
  // from the last, each reported as soon as it is computed, so the exchange of this layer's
  // gradient starts before the layer is done (the first layer's, computed last in backward).
  void addParameterGradients(backend::MatmulOp& matmul, const Tensor& x, const Tensor& gy);
  static constexpr int64_t kBlockedGradientElements = 1 << 16;
  static constexpr int64_t kGradientBlocks = 8;
  // bf16 precision: the weights as bf16 (the flat copy, or weightOwnBf16_ converted now).
  const Tensor& bf16Weight(bool convert);
  // `t` as bf16: itself, or rounded into `scratch`.
  static const Tensor& asBf16(const Tensor& t, Tensor& scratch);

  int64_t in_, out_;
  bool withBias_;
  bool overwriteGrads_ = false;  // the next gradient pass writes instead of adding (Parameter)
  bool outputBf16_ = false;      // bf16 precision: the output is bf16
  Tensor weight_, bias_, gradWeight_, gradBias_;
  Tensor weightBf16_;     // the weights' slice of the flat bf16 copy (Parameter::lowPrecision)
  Tensor weightOwnBf16_;  // the weights converted by forward when there is no flat copy
  Tensor inputBf16_, gradBf16_;  // an f32 input and output gradient rounded to bf16
  Tensor gradBlock_;             // gy's columns of one block of rows, contiguous [N, rows]
  std::unique_ptr<backend::MatmulOp> matmul_;
};

}  // namespace shoal::nn
