// The AVX-512 build of BatchNorm's passes for float and bfloat16 activations (compiled with -mavx512f).
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

// The four pairs of activation types: f32 or bf16 in, f32 or bf16 out.
#define SHOAL_BATCH_NORM_AVX512(Src, Dst)                                                         \
  template void normaliseWithBatchStatisticsAvx512(const BatchNormPass&, const Src*, Dst*, float*, \
                                                   float*);                                       \
  template void normaliseWithGivenStatisticsAvx512(const BatchNormPass&, const Src*, const float*, \
                                                   const float*, Dst*);                           \
  template void batchNormBackwardAvx512(const BatchNormPass&, const Src*, const float*,           \
                                        const Dst*, const float*, const float*, bool, float*,     \
                                        float*, float*);
SHOAL_BATCH_NORM_AVX512(float, float)
SHOAL_BATCH_NORM_AVX512(float, bfloat16)
SHOAL_BATCH_NORM_AVX512(bfloat16, float)
SHOAL_BATCH_NORM_AVX512(bfloat16, bfloat16)
#undef SHOAL_BATCH_NORM_AVX512

}  // namespace shoal::backend::cpu
