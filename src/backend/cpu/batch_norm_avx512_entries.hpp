// The AVX-512 entry points of BatchNorm's passes, for the files compiled with AVX-512 only (batch_norm_avx512.cpp, batch_norm_bf16_avx512.cpp), which instantiate them.
#pragma once
#include "batch_norm_kernels.hpp"

namespace shoal::backend::cpu {

template <class Src, class Dst>
void normaliseWithBatchStatisticsAvx512(const BatchNormPass& p, const Src* src, Dst* dst,
                                        float* mean, float* variance) {
  normaliseWithBatchStatistics(p, src, dst, mean, variance);
}

template <class Src, class Dst>
void normaliseWithGivenStatisticsAvx512(const BatchNormPass& p, const Src* src, const float* mean,
                                        const float* variance, Dst* dst) {
  normaliseWithGivenStatistics(p, src, mean, variance, dst);
}

template <class Src, class Dst>
void batchNormBackwardAvx512(const BatchNormPass& p, const Src* src, const float* gradDst,
                             const Dst* reluDst, const float* mean, const float* variance,
                             bool batchStatistics, float* gradSrc, float* gradWeight,
                             float* gradBias) {
  batchNormBackward(p, src, gradDst, reluDst, mean, variance, batchStatistics, gradSrc, gradWeight,
                    gradBias);
}

}  // namespace shoal::backend::cpu

// The entry points for activations of type Src in and Dst out (float or bfloat16).
#define SHOAL_BATCH_NORM_AVX512(Src, Dst)                                                         \
  template void normaliseWithBatchStatisticsAvx512(const BatchNormPass&, const Src*, Dst*, float*, \
                                                   float*);                                       \
  template void normaliseWithGivenStatisticsAvx512(const BatchNormPass&, const Src*, const float*, \
                                                   const float*, Dst*);                           \
  template void batchNormBackwardAvx512(const BatchNormPass&, const Src*, const float*,           \
                                        const Dst*, const float*, const float*, bool, float*,     \
                                        float*, float*);
