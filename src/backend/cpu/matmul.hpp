// MatmulOp on oneDNN matmul: the bias and ReLU are post-ops, weight gradients accumulate by a sum post-op.
#pragma once
#include <memory>

#include "shoal/backend/matmul_op.hpp"

namespace shoal::backend::cpu {

// Primitives are made once per (N, In, Out) and reused (see MatmulOp).
class Matmul final : public MatmulOp {
 public:
  Matmul();
  ~Matmul() override;

  void forward(const Tensor& src, const Tensor& weight, const Tensor* bias, bool relu,
               Tensor& dst) override;
  void backwardData(const Tensor& gradDst, const Tensor& weight, Tensor& gradSrc) override;
  void backwardWeights(const Tensor& src, const Tensor& gradDst, Tensor& gradWeight,
                       Tensor* gradBias, bool accumulate) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shoal::backend::cpu
