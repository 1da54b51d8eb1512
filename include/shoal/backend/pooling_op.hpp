// PoolingOp: 2-d max and average pooling over NCHW or channels-last tensors with PyTorch's output sizes, as a backend does it.
#pragma once
#include "shoal/tensor/tensor.hpp"

namespace shoal::backend {

// Primitives are made once per input shape and reused. Average pooling that counts padding
// divides windows that overhang the padded input by the part inside it, as PyTorch does.
class PoolingOp {
 public:
  PoolingOp() = default;
  PoolingOp(const PoolingOp&) = delete;
  PoolingOp& operator=(const PoolingOp&) = delete;
  virtual ~PoolingOp() = default;

  // src [N, C, H, W] (plain or channels-last) -> dst [N, C, OH, OW] (plain), already sized by
  // the caller.
  virtual void forward(const Tensor& src, Tensor& dst) = 0;
  // gradDst [N, C, OH, OW] (plain) -> gradSrc [N, C, H, W] in the last forward's src layout,
  // already sized by the caller; max pooling
  // routes through the positions the last forward() at this shape selected.
  virtual void backward(const Tensor& gradDst, Tensor& gradSrc) = 0;
};

}  // namespace shoal::backend
