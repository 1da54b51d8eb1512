// 2-d max and average pooling on oneDNN over plain NCHW tensors, with PyTorch's output sizes.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "shoal/tensor/tensor.hpp"

namespace shoal::backend::cpu {

enum class PoolingAlgorithm { Max, AverageIncludePadding, AverageExcludePadding };

struct PoolingGeometry {
  int64_t kernelH = 1, kernelW = 1;
  int64_t strideH = 1, strideW = 1;
  int64_t padH = 0, padW = 0;  // on both sides
  bool ceilMode = false;
};

// Torch-style arguments (a zero stride means the kernel size) checked as PyTorch does: positive
// kernel, non-negative padding of at most half the kernel; throws UsageError naming `layer`.
PoolingGeometry poolingGeometry(const std::string& layer, int64_t kW, int64_t kH, int64_t dW,
                                int64_t dH, int64_t padW, int64_t padH, bool ceilMode);

// PyTorch's output extent along one dimension: floor (or ceil) of (in + 2 pad - kernel) / stride
// plus one, where in ceil mode the last window must start inside the input or the left padding.
// Zero or less when the input is too small.
int64_t poolingOutputSize(int64_t in, int64_t kernel, int64_t stride, int64_t pad, bool ceilMode);
// The right padding that makes oneDNN produce `out` windows (ceil mode's extra windows).
int64_t poolingRightPadding(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t pad);

// Primitives are made once per input shape and reused. Ceil mode becomes extra right padding;
// average pooling that counts padding divides windows that overhang the padded input by the
// part inside it, as PyTorch does.
class Pooling {
 public:
  Pooling(PoolingAlgorithm algorithm, const PoolingGeometry& geometry);
  ~Pooling();
  Pooling(Pooling&&) noexcept;
  Pooling& operator=(Pooling&&) noexcept;

  // src [N, C, H, W] -> dst [N, C, OH, OW], already sized by the caller.
  void forward(const Tensor& src, Tensor& dst);
  // gradDst [N, C, OH, OW] -> gradSrc [N, C, H, W], already sized by the caller; max pooling
  // routes through the positions the last forward() at this shape selected.
  void backward(const Tensor& gradDst, Tensor& gradSrc);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shoal::backend::cpu
