// FusedLinearStep: a Linear and the ReLU after it as one oneDNN product with an eltwise post-op.
#pragma once
#include <memory>

#include "shoal/backend/eltwise_op.hpp"
#include "shoal/backend/matmul_op.hpp"
#include "shoal/nn/linear.hpp"
#include "shoal/nn/plan_step.hpp"

namespace shoal::nn {

// Forward: output [N, Out] = relu(input [N, In] W^T + b), the ReLU's output. Backward takes the
// gradient with respect to that output, masks it by output > 0 and runs the Linear's products on
// it, adding into the Linear's gradients (or writing them, as the Linear would).
class FusedLinearStep : public PlanStep {
 public:
  explicit FusedLinearStep(Linear& layer);

  size_t modules() const override { return 2; }
  const Tensor& forward(const Tensor& input) override;
  const Tensor& backward(const Tensor& input, const Tensor& gradOutput) override;
  void backwardParameters(const Tensor& input, const Tensor& gradOutput) override;

 private:
  // maskedGrad_ [N, Out] = gradOutput where the output is positive, else 0.
  void maskGradient(const Tensor& gradOutput);
  void addParameterGradients(const Tensor& input);

  Linear& layer_;
  std::unique_ptr<backend::MatmulOp> matmul_;
  std::unique_ptr<backend::EltwiseOp> reluMask_;
  Tensor output_, maskedGrad_, gradInput_;
};

}  // namespace shoal::nn
