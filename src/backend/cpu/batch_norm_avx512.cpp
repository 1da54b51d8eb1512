// The AVX-512 build of BatchNorm's passes (this file is compiled with -mavx512f).
#include "batch_norm_kernels.hpp"

namespace shoal::backend::cpu {

void normaliseWithBatchStatisticsAvx512(const BatchNormPass& p, const float* src, float* dst,
                                        float* mean, float* variance) {
  normaliseWithBatchStatistics(p, src, dst, mean, variance);
}

void normaliseWithGivenStatisticsAvx512(const BatchNormPass& p, const float* src, const float* mean,
                                        const float* variance, float* dst) {
  normaliseWithGivenStatistics(p, src, mean, variance, dst);
}

void batchNormBackwardAvx512(const BatchNormPass& p, const float* src, const float* gradDst,
                             const float* reluDst, const float* mean, const float* variance,
                             bool batchStatistics, float* gradSrc, float* gradWeight,
                             float* gradBias) {
  batchNormBackward(p, src, gradDst, reluDst, mean, variance, batchStatistics, gradSrc, gradWeight,
                    gradBias);
}

}  // namespace shoal::backend::cpu
