// The AVX-512 build of the element-wise passes over float and bfloat16 activations (compiled with -mavx512f -mavx512bw -mavx512vl).
#include "typed_elementwise_kernels.hpp"

namespace shoal::backend::cpu {

template <bool kRelu, class A, class B, class S>
void addElementsAvx512(const A* a, const B* b, S* sum, int64_t count) {
  addElements<kRelu>(a, b, sum, count);
}

template <class X, class Y>
void reluElementsAvx512(const X* x, Y* y, int64_t count) {
  reluElements(x, y, count);
}

template <class Y, class G>
void reluGradientAvx512(const Y* y, const G* grad, float* gradX, int64_t count) {
  reluGradient(y, grad, gradX, count);
}

template <class Y, class G, class H>
void reluGradientOfSumAvx512(const Y* y, const G* grad, const H* moreGrad, float* gradX,
                             int64_t count) {
  reluGradientOfSum(y, grad, moreGrad, gradX, count);
}

// Every pair and triple of float and bfloat16.
#define SHOAL_TRIPLE(P, Q, R)                                                         \
  template void addElementsAvx512<false>(const P*, const Q*, R*, int64_t);            \
  template void addElementsAvx512<true>(const P*, const Q*, R*, int64_t);             \
  template void reluGradientOfSumAvx512(const P*, const Q*, const R*, float*, int64_t);
#define SHOAL_PAIR(P, Q)                                                   \
  template void reluElementsAvx512(const P*, Q*, int64_t);                 \
  template void reluGradientAvx512(const P*, const Q*, float*, int64_t);   \
  SHOAL_TRIPLE(P, Q, float)                                                \
  SHOAL_TRIPLE(P, Q, bfloat16)
SHOAL_PAIR(float, float)
SHOAL_PAIR(float, bfloat16)
SHOAL_PAIR(bfloat16, float)
SHOAL_PAIR(bfloat16, bfloat16)
#undef SHOAL_PAIR
#undef SHOAL_TRIPLE

}  // namespace shoal::backend::cpu
