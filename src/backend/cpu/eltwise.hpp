// EltwiseOp on oneDNN eltwise: ReLU, tanh and sigmoid, backward from the forward output.
#pragma once
#include <memory>

#include "shoal/backend/activation.hpp"
#include "shoal/backend/eltwise_op.hpp"

namespace shoal::backend::cpu {

// Primitives are made once per element count and reused (see EltwiseOp).
class Eltwise final : public EltwiseOp {
 public:
  explicit Eltwise(Activation activation);
  ~Eltwise() override;

  void forward(const Tensor& src, Tensor& dst) override;
  void backward(const Tensor& dst, const Tensor& gradDst, Tensor& gradSrc) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shoal::backend::cpu
