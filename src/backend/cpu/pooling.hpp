// PoolingOp on oneDNN pooling over plain NCHW tensors, with PyTorch's output sizes.
#pragma once
#include <cstdint>
#include <memory>

#include "shoal/backend/pooling_geometry.hpp"
#include "shoal/backend/pooling_op.hpp"

namespace shoal::backend::cpu {

// The right padding that makes oneDNN produce `out` windows (ceil mode's extra windows).
int64_t poolingRightPadding(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t pad);

// Primitives are made once per input shape and reused (see PoolingOp). Ceil mode becomes extra
// right padding.
class Pooling final : public PoolingOp {
 public:
  Pooling(PoolingAlgorithm algorithm, const PoolingGeometry& geometry);
  ~Pooling() override;

  void forward(const Tensor& src, Tensor& dst) override;
  void backward(const Tensor& gradDst, Tensor& gradSrc) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shoal::backend::cpu
