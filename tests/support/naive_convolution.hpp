// A direct double-precision convolution as the reference for the convolution's kernels, and the check against it.
#pragma once
#include <cstdint>

#include "shoal/nn/spatial_convolution.hpp"

namespace shoal::testing {

// The output and the gradients of sum(y * gy).
struct Reference {
  Tensor y, gx, gw, gb;
};

// x [N, C, H, W], w [Out, C/groups, kH, kW], b [Out] at stride s and padding p (both
// directions) -> y [N, Out, OH, OW], and the gradients for the output gradient gy.
Reference naive(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& gy, int64_t s,
                int64_t p, int64_t groups);

// One forward and backward of `conv` over x (a random output gradient from `seed`) against naive:
// output and input gradient within 1e-4, weight and bias gradients within 1e-4 relative + 2e-3.
void checkAgainstNaive(nn::SpatialConvolution& conv, const Tensor& x, int64_t s, int64_t p,
                       int64_t groups, uint64_t seed);

}  // namespace shoal::testing
