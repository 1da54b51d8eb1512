// The relative error of a result against its reference, and the tolerance of bf16 products summed in f32.
#pragma once

#include "shoal/tensor/tensor.hpp"

namespace shoal::testing {

// ||a - b|| / ||b|| over the whole tensors (f32 or bf16, of one element count; a count that
// differs is a test failure).
double relativeError(const Tensor& a, const Tensor& b);

// Products of bf16 factors (8 significant bits) summed in f32: relative errors of a few 1e-3,
// well under 1e-2; an f32 path gives ~1e-7 and a wrong one ~1.
constexpr double kBf16Tolerance = 1e-2;

}  // namespace shoal::testing
