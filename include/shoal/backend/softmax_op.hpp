// SoftmaxOp: softmax and log-softmax over dimension 1, forward and backward, as a backend does it.
#pragma once
#include "shoal/tensor/tensor.hpp"

namespace shoal::backend {

// Normalises over dimension 1 of a tensor of rank >= 2: the classes C of [N, C], the channels
// of [N, C, H, W] (each spatial position separately). Primitives are made once per shape and
// reused; nothing is allocated per call.
class SoftmaxOp {
 public:
  SoftmaxOp() = default;
  SoftmaxOp(const SoftmaxOp&) = delete;
  SoftmaxOp& operator=(const SoftmaxOp&) = delete;
  virtual ~SoftmaxOp() = default;

  // dst = softmax(src) (or its logarithm); dst has src's shape (sized by the caller).
  virtual void forward(const Tensor& src, Tensor& dst) = 0;
  // gradSrc from the forward output dst and gradDst, all of one shape.
  virtual void backward(const Tensor& dst, const Tensor& gradDst, Tensor& gradSrc) = 0;
};

}  // namespace shoal::backend
