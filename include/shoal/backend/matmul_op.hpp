// MatmulOp: the matrix products of a fully connected layer (forward with fused bias and optional
// ReLU, backward-data, and backward-weights that accumulate, Torch semantics), as a backend does them.
#pragma once
#include "shoal/tensor/tensor.hpp"

namespace shoal::backend {

// Weights are in Torch layout [Out, In]. Every tensor is plain row-major and sized by the
// caller. The two factors of a product are both f32 or both bf16 (bf16 products accumulate in
// f32); a product's result is written in its tensor's type (f32, or rounded to bf16), the bias
// and the weight and bias gradients are f32. Primitives are made once per (N, In, Out) and reused; nothing is allocated per call.
class MatmulOp {
 public:
  MatmulOp() = default;
  MatmulOp(const MatmulOp&) = delete;
  MatmulOp& operator=(const MatmulOp&) = delete;
  virtual ~MatmulOp() = default;

  // dst [N, Out] = src [N, In] * weight^T (+ bias [Out] when `bias` is given), then
  // max(0, .) when `relu` is set; the bias and the ReLU are post-ops of the one product.
  virtual void forward(const Tensor& src, const Tensor& weight, const Tensor* bias, bool relu,
                       Tensor& dst) = 0;
  // gradSrc [N, In] = gradDst [N, Out] * weight [Out, In].
  virtual void backwardData(const Tensor& gradDst, const Tensor& weight, Tensor& gradSrc) = 0;
  // gradWeight [Out, In] += gradDst^T * src, and gradBias [Out] += the column sums of gradDst
  // when `gradBias` is given; both through a sum post-op, so nothing is allocated. Without
  // `accumulate`, = instead of += (no read of the old gradients, no clearing pass before).
  virtual void backwardWeights(const Tensor& src, const Tensor& gradDst, Tensor& gradWeight,
                               Tensor* gradBias, bool accumulate = true) = 0;
};

}  // namespace shoal::backend
