// Linear: the fully connected layer y = x W^T + b (Torch's nn.Linear), optionally with a fused ReLU.
#pragma once
#include <cstdint>
#include <memory>

#include "shoal/backend/eltwise_op.hpp"
#include "shoal/backend/matmul_op.hpp"
#include "shoal/nn/module.hpp"

namespace shoal::nn {

// Input [N, In] -> output [N, Out]; weight [Out, In] (Torch layout), bias [Out].
// Initialised at construction from initGenerator() like PyTorch: weight and bias uniform in
// +-1/sqrt(In).
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

  // Fuses a following ReLU into this layer: forward computes relu(x W^T + b) in one oneDNN
  // primitive (an eltwise post-op), so a container can skip the separate ReLU's forward.
  // Backward then takes the gradient with respect to that ReLU's output: gradOutput may come
  // already masked by the ReLU's backward or unmasked, since this layer applies the mask
  // (output > 0) itself and masking twice changes nothing. The container may therefore skip the
  // ReLU's backward as well. Fusion is an execution choice and not part of spec().
  void fuseRelu(bool fused) { fusedRelu_ = fused; }
  // Fuses a following ReLU (see fuseRelu).
  bool fuseNext(const Module& next) override;
  bool reluFused() const { return fusedRelu_; }

  Shape outputShape(const Shape& inputShape) const override;
  std::string typeName() const override { return "Linear"; }
  nlohmann::json spec() const override;
  std::string describe() const override;
  std::vector<Parameter> parameters() override;
  // Redraws weight and bias (in that order) uniform in +-1/sqrt(In) from `gen`.
  void reset(Generator& gen) override;

 protected:
  void updateOutput(const Tensor& input) override;
  void updateGradInput(const Tensor& input, const Tensor& gradOutput) override;
  void accGradParameters(const Tensor& input, const Tensor& gradOutput) override;
  void updateParameterGradients(const Tensor& input, const Tensor& gradOutput) override;

 private:
  // With a fused ReLU: maskedGrad_ [N, Out] = gradOutput where the output is positive, else 0.
  void maskGradient(const Tensor& gradOutput);
  // gradOutput as seen by the product: masked by the fused ReLU into maskedGrad_ when fused.
  const Tensor& productGrad(const Tensor& gradOutput) const;

  int64_t in_, out_;
  bool withBias_;
  bool fusedRelu_ = false;
  bool overwriteGrads_ = false;  // the next gradient pass writes instead of adding (Parameter)
  Tensor weight_, bias_, gradWeight_, gradBias_;
  Tensor maskedGrad_;  // [N, Out], written by maskGradient and read by the products
  std::unique_ptr<backend::MatmulOp> matmul_;
  std::unique_ptr<backend::EltwiseOp> reluMask_;
};

}  // namespace shoal::nn
