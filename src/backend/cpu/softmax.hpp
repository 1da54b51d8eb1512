// Softmax and log-softmax over dimension 1 on oneDNN's softmax / logsoftmax primitives.
#pragma once
#include <memory>

#include "shoal/tensor/tensor.hpp"

namespace shoal::backend::cpu {

// Normalises over dimension 1 of a tensor of rank >= 2: the classes C of [N, C], the channels
// of [N, C, H, W] (each spatial position separately). Primitives are made once per shape and
// reused; nothing is allocated per call.
class Softmax {
 public:
  // `log`: log-softmax instead of softmax.
  explicit Softmax(bool log);
  ~Softmax();
  Softmax(Softmax&&) noexcept;
  Softmax& operator=(Softmax&&) noexcept;

  // dst = softmax(src) (or its logarithm); dst has src's shape (sized by the caller).
  void forward(const Tensor& src, Tensor& dst);
  // gradSrc from the forward output dst and gradDst, all of one shape.
  void backward(const Tensor& dst, const Tensor& gradDst, Tensor& gradSrc);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shoal::backend::cpu
