// Element-wise passes over float or bfloat16 activations (the residual addition, ReLU forward and backward, both fused), built twice: baseline and AVX-512.
//
// typed_elementwise.cpp includes this for the baseline build and picks the AVX-512 one
// (typed_elementwise_avx512.cpp, compiled with -mavx512f -mavx512bw -mavx512vl) when the CPU has
// those. Everything but the
// AVX-512 entry points has internal linkage. Each element is computed in f32 and rounded once
// where its destination is bf16; the result does not depend on the thread count.
#pragma once
#include <algorithm>
#include <cstdint>

#include "element_access.hpp"

namespace shoal::backend::cpu {

// The AVX-512 builds; A, B, X, Y, G, H are float or bfloat16 (typed_elementwise_avx512.cpp
// instantiates every combination).
template <bool kRelu, class A, class B, class S>
void addElementsAvx512(const A* a, const B* b, S* sum, int64_t count);
template <class X, class Y>
void reluElementsAvx512(const X* x, Y* y, int64_t count);
template <class Y, class G>
void reluGradientAvx512(const Y* y, const G* grad, float* gradX, int64_t count);
template <class Y, class G, class H>
void reluGradientOfSumAvx512(const Y* y, const G* grad, const H* moreGrad, float* gradX, int64_t count);

namespace {

constexpr int64_t kElementwiseParallelFrom = 1 << 16;  // shorter arrays stay on the calling thread

// sum [count] = a + b, or (kRelu) max(0, a + b)
template <bool kRelu, class A, class B, class S>
inline void addElements(const A* a, const B* b, S* sum, int64_t count) {
#pragma omp parallel for simd if (count >= kElementwiseParallelFrom)
  for (int64_t k = 0; k < count; ++k) {
    const float s = valueAt(a, k) + valueAt(b, k);
    storeAt(sum, k, kRelu ? std::max(s, 0.0f) : s);
  }
}

// y [count] = max(0, x)
template <class X, class Y>
inline void reluElements(const X* x, Y* y, int64_t count) {
#pragma omp parallel for simd if (count >= kElementwiseParallelFrom)
  for (int64_t k = 0; k < count; ++k) storeAt(y, k, std::max(valueAt(x, k), 0.0f));
}

// gradX [count] = grad where the ReLU's output y > 0, else 0
template <class Y, class G>
inline void reluGradient(const Y* y, const G* grad, float* gradX, int64_t count) {
#pragma omp parallel for simd if (count >= kElementwiseParallelFrom)
  for (int64_t k = 0; k < count; ++k) gradX[k] = valueAt(y, k) > 0.0f ? valueAt(grad, k) : 0.0f;
}

// gradX [count] = grad + moreGrad where the ReLU's output y > 0, else 0 (the sum of two
// gradients of its output, masked in the same pass)
template <class Y, class G, class H>
inline void reluGradientOfSum(const Y* y, const G* grad, const H* moreGrad, float* gradX,
                              int64_t count) {
#pragma omp parallel for simd if (count >= kElementwiseParallelFrom)
  for (int64_t k = 0; k < count; ++k)
    gradX[k] = valueAt(y, k) > 0.0f ? valueAt(grad, k) + valueAt(moreGrad, k) : 0.0f;
}

}  // namespace
}  // namespace shoal::backend::cpu
