// Reading and writing one element of a float or bfloat16 array as a float, for kernels templated on the activations' type.
#pragma once
#include <cstdint>

#include "shoal/tensor/bfloat16.hpp"

namespace shoal::backend::cpu {
// Internal linkage, like the kernels that include this: a build compiled with AVX-512 keeps its
// own copies.
namespace {

// Element k of a float or bfloat16 array as a float (a bf16 widens exactly).
inline float valueAt(const float* a, int64_t k) { return a[k]; }
inline float valueAt(const bfloat16* a, int64_t k) { return bfloat16ToFloat(a[k].bits); }
// a[k] = v, rounded to nearest even for a bfloat16 array.
inline void storeAt(float* a, int64_t k, float v) { a[k] = v; }
inline void storeAt(bfloat16* a, int64_t k, float v) { a[k].bits = bfloat16Bits(v); }

}  // namespace
}  // namespace shoal::backend::cpu
