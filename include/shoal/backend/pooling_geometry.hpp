// PoolingGeometry: 2-d pooling windows with PyTorch's argument checks and output sizes.
#pragma once
#include <cstdint>
#include <string>

namespace shoal::backend {

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

}  // namespace shoal::backend
