// ConvolutionGeometry: the kernel, stride, padding and groups of a 2-d convolution.
#pragma once
#include <cstdint>

namespace shoal::backend {

struct ConvolutionGeometry {
  int64_t outputPlanes = 0;
  int64_t kernelH = 1, kernelW = 1;
  int64_t strideH = 1, strideW = 1;
  int64_t padH = 0, padW = 0;  // on both sides
  int64_t groups = 1;
  bool withBias = true;
};

}  // namespace shoal::backend
