// The AVX-512 build of the element-wise passes over float and bfloat16 activations (compiled with -mavx512f -mavx512bw -mavx512vl).
#include "typed_elementwise_kernels.hpp"

namespace shoal::backend::cpu {

template <class A, class B, class S>
void addElementsAvx512(const A* a, const B* b, S* sum, int64_t count) {
  addElements(a, b, sum, count);
}

template <class X, class Y>
void reluElementsAvx512(const X* x, Y* y, int64_t count) {
  reluElements(x, y, count);
}

template <class Y, class G>
void reluGradientAvx512(const Y* y, const G* grad, float* gradX, int64_t count) {
  reluGradient(y, grad, gradX, count);
}

// Every pair and triple of float and bfloat16.
#define SHOAL_PAIR(P, Q)                                                         \
  template void reluElementsAvx512(const P*, Q*, int64_t);                       \
  template void reluGradientAvx512(const P*, const Q*, float*, int64_t);         \
  template void addElementsAvx512(const P*, const Q*, float*, int64_t);          \
  template void addElementsAvx512(const P*, const Q*, bfloat16*, int64_t);
SHOAL_PAIR(float, float)
SHOAL_PAIR(float, bfloat16)
SHOAL_PAIR(bfloat16, float)
SHOAL_PAIR(bfloat16, bfloat16)
#undef SHOAL_PAIR

}  // namespace shoal::backend::cpu
