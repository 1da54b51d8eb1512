// One batch normalisation call (BatchNormPass) and the per-channel arithmetic that the plain and the channels-last passes share.
#pragma once
#include <cmath>
#include <cstdint>

#include "element_access.hpp"

namespace shoal::backend::cpu {

// One batch normalisation call: src/dst/gradients [N, C, S] (plain) or [N, S, C] (channelsLast);
// per-channel arrays [C].
struct BatchNormPass {
  int64_t n = 0, c = 0, s = 0;  // batch, channels, values per plane (H x W)
  float eps = 1e-5f;
  const float* weight = nullptr;  // scale; nullptr: 1 (no affine)
  const float* bias = nullptr;    // shift; nullptr: 0
  bool relu = false;              // forward: max(0, .) on the result (a ReLU after the layer)
  // The activations lie channels-last: [M, C] rows, M = N x S (batch_norm_channels_last.hpp).
  bool channelsLast = false;
  // Channels-last only: channelsLastScratch(*this) doubles for the per-chunk sums.
  double* scratch = nullptr;
};

namespace {

constexpr int64_t kBatchNormParallelFrom = 1 << 14;  // fewer values stay on the calling thread

inline float scaleOf(const BatchNormPass& p, int64_t ch) { return p.weight ? p.weight[ch] : 1.0f; }
inline float shiftOf(const BatchNormPass& p, int64_t ch) { return p.bias ? p.bias[ch] : 0.0f; }

// One AVX-512 register of floats: loops over bf16 activations run in blocks of kLanes values and
// a scalar remainder (see kInBlocks in batch_norm_kernels.hpp).
constexpr int64_t kLanes = 16;

// body(k) for k in [0, count): blocks of kLanes, then the remainder.
template <class Body>
inline void blockedLoop(int64_t count, Body body) {
  int64_t k = 0;
  for (; k + kLanes <= count; k += kLanes) {
#pragma omp simd
    for (int64_t j = k; j < k + kLanes; ++j) body(j);
  }
  for (; k < count; ++k) body(k);
}

// The gradient reaching the normalisation: gradDst, or where a fused ReLU passed nothing
// (its output reluDst is not positive) zero.
template <bool kRelu, class Dst>
inline float reaching(const float* gradDst, const Dst* reluDst, int64_t k) {
  const float g = gradDst[k];  // read whatever the mask says, so that the loops vectorise
  if constexpr (kRelu) return valueAt(reluDst, k) > 0.0f ? g : 0.0f;
  return g;
}

// Channel ch's normalisation as y = x * a + b.
struct ChannelAffine {
  float a, b;
};
inline ChannelAffine affineOf(const BatchNormPass& p, int64_t ch, float mean, float variance) {
  const float a = scaleOf(p, ch) / std::sqrt(variance + p.eps);
  return {a, shiftOf(p, ch) - mean * a};
}

// Channel ch's input gradient as gradSrc = a * g + offset - (src - mean) * slope, from the sums
// sum(g) and sum(g * (src - mean)) over its `count` values (see backwardPass); adds the weight
// and bias gradients (when affine).
struct GradientLine {
  float a, offset, slope;
};
inline GradientLine gradientLineOf(const BatchNormPass& p, int64_t ch, float inverse, double sumGrad,
                                   double sumGradCentred, double count, bool batchStatistics,
                                   float* gradWeight, float* gradBias) {
  const float sumGradXhat = static_cast<float>(sumGradCentred) * inverse;
  if (gradWeight) {
    gradWeight[ch] += sumGradXhat;
    gradBias[ch] += static_cast<float>(sumGrad);
  }
  const float a = scaleOf(p, ch) * inverse;
  if (!batchStatistics) return {a, 0.0f, 0.0f};  // given statistics: only a * g
  return {a, -a * static_cast<float>(sumGrad / count),
          a * inverse * static_cast<float>(sumGradXhat / count)};
}

}  // namespace
}  // namespace shoal::backend::cpu
