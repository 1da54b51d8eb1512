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

  int64_t in_, out_;
  bool withBias_;
  bool overwriteGrads_ = false;  // the next gradient pass writes instead of adding (Parameter)
  Tensor weight_, bias_, gradWeight_, gradBias_;
  std::unique_ptr<backend::MatmulOp> matmul_;
};

}  // namespace shoal::nn
