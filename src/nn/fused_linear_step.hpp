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
// it, adding into the Linear's gradients (or writing them, as the Linear would). In bf16
// precision it reads bf16 as the Linear does, writes its output in bf16 when asked, and masks
// the gradient into bf16 for both backward products.
class FusedLinearStep : public PlanStep {
 public:
  explicit FusedLinearStep(Linear& layer);

  size_t modules() const override { return 2; }
  bool canOutputBf16() const override { return layer_.canOutputBf16(); }
  void setOutputBf16(bool bf16) override { outputBf16_ = bf16; }
  const Tensor& forward(const Tensor& input) override;
  const Tensor& backward(const Tensor& input, const Tensor& gradOutput) override;
  void backwardParameters(const Tensor& input, const Tensor& gradOutput) override;

 private:
  bool bf16() const { return layer_.precision() == Precision::BF16; }
  // maskedGrad_ [N, Out] = gradOutput where the output is positive, else 0 (bf16 in bf16
  // precision).
  void maskGradient(const Tensor& gradOutput);
  void addParameterGradients(const Tensor& input);

  Linear& layer_;
  std::unique_ptr<backend::MatmulOp> matmul_;
  std::unique_ptr<backend::EltwiseOp> reluMask_;
  bool outputBf16_ = false;
  Tensor output_, maskedGrad_, gradInput_;
};

}  // namespace shoal::nn
