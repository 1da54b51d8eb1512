// Element-wise activations (ReLU, tanh, sigmoid) on oneDNN eltwise, forward and backward.
#pragma once
#include <memory>

#include "shoal/tensor/tensor.hpp"

namespace shoal::backend::cpu {

enum class Activation { Relu, Tanh, Sigmoid };

// Works on tensors of any rank (treated as one flat run of elements). The backward pass is
// computed from the forward output, so the input need not be kept. Primitives are made once per
// element count and reused; nothing is allocated per call.
class Eltwise {
 public:
  explicit Eltwise(Activation activation);
  ~Eltwise();
  Eltwise(Eltwise&&) noexcept;
  Eltwise& operator=(Eltwise&&) noexcept;

  // dst = f(src); dst has src's element count (sized by the caller).
  void forward(const Tensor& src, Tensor& dst);
  // gradSrc = f'(src) * gradDst, where dst = f(src) is the forward output.
  void backward(const Tensor& dst, const Tensor& gradDst, Tensor& gradSrc);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shoal::backend::cpu
