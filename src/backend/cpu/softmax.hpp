// SoftmaxOp on oneDNN's softmax / logsoftmax primitives over dimension 1.
#pragma once
#include <memory>

#include "shoal/backend/softmax_op.hpp"

namespace shoal::backend::cpu {

// Primitives are made once per shape and reused (see SoftmaxOp).
class Softmax final : public SoftmaxOp {
 public:
  // `log`: log-softmax instead of softmax.
  explicit Softmax(bool log);
  ~Softmax() override;

  void forward(const Tensor& src, Tensor& dst) override;
  void backward(const Tensor& dst, const Tensor& gradDst, Tensor& gradSrc) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shoal::backend::cpu
