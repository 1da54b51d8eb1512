// EltwiseOp: an element-wise activation (ReLU, tanh, sigmoid), forward and backward, as a backend does it.
#pragma once
#include "shoal/tensor/tensor.hpp"

namespace shoal::backend {

// Works on tensors of any rank (treated as one flat run of elements). The backward pass is
// computed from the forward output, so the input need not be kept. Primitives are made once per
// element count and reused; nothing is allocated per call.
class EltwiseOp {
 public:
  EltwiseOp() = default;
  EltwiseOp(const EltwiseOp&) = delete;
  EltwiseOp& operator=(const EltwiseOp&) = delete;
  virtual ~EltwiseOp() = default;

  // dst = f(src); dst has src's element count (sized by the caller).
  virtual void forward(const Tensor& src, Tensor& dst) = 0;
  // gradSrc = f'(src) * gradDst, where dst = f(src) is the forward output.
  virtual void backward(const Tensor& dst, const Tensor& gradDst, Tensor& gradSrc) = 0;
};

}  // namespace shoal::backend
