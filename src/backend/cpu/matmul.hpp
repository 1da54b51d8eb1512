// The matrix products of a fully connected layer on oneDNN matmul: forward with fused bias and
// optional ReLU, backward-data, and backward-weights that accumulate (Torch semantics).
#pragma once
#include <memory>

#include "shoal/tensor/tensor.hpp"

namespace shoal::backend::cpu {

// Weights are in Torch layout [Out, In]. Every tensor is plain row-major and sized by the
// caller. Primitives are made once per (N, In, Out) and reused; nothing is allocated per call.
class Matmul {
 public:
  Matmul();
  ~Matmul();
  Matmul(Matmul&&) noexcept;
  Matmul& operator=(Matmul&&) noexcept;

  // dst [N, Out] = src [N, In] * weight^T (+ bias [Out] when `bias` is given), then
  // max(0, .) when `relu` is set; the bias and the ReLU are post-ops of the one product.
  void forward(const Tensor& src, const Tensor& weight, const Tensor* bias, bool relu, Tensor& dst);
  // gradSrc [N, In] = gradDst [N, Out] * weight [Out, In].
  void backwardData(const Tensor& gradDst, const Tensor& weight, Tensor& gradSrc);
  // gradWeight [Out, In] += gradDst^T * src, and gradBias [Out] += the column sums of gradDst
  // when `gradBias` is given; both through a sum post-op, so nothing is allocated. Without
  // `accumulate`, = instead of += (no read of the old gradients, no clearing pass before).
  void backwardWeights(const Tensor& src, const Tensor& gradDst, Tensor& gradWeight, Tensor* gradBias,
                       bool accumulate = true);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shoal::backend::cpu
