// The passes of BatchNorm over [N, C, S] tensors, built twice: for the baseline instruction set and
// for AVX-512. batch_norm.cpp includes this for the baseline build and picks the AVX-512 one
// (batch_norm_avx512.cpp, compiled with -mavx512f) when the CPU has it. Everything but the
// AVX-512 entry points has internal linkage, so that each build keeps its own instructions.
//
// Each channel is one task: its N planes of S values are read a few times in a row, so after the
// first pass they come from the core's cache (a channel of 128 x 28 x 28 floats is 400 KB), and
// every channel's sums are taken in the same order whatever the thread count (deterministic).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

namespace shoal::backend::cpu {

// One batch normalisation call: src/dst/gradients [N, C, S]; per-channel arrays [C].
struct BatchNormPass {
  int64_t n = 0, c = 0, s = 0;  // batch, channels, values per plane (H x W)
  float eps = 1e-5f;
  const float* weight = nullptr;  // scale; nullptr: 1 (no affine)
  const float* bias = nullptr;    // shift; nullptr: 0
  bool relu = false;              // forward: max(0, .) on the result (a ReLU after the layer)
};

// The AVX-512 builds of the passes below; only for CPUs with AVX-512F.
void normaliseWithBatchStatisticsAvx512(const BatchNormPass& p, const float* src, float* dst,
                                        float* mean, float* variance);
void normaliseWithGivenStatisticsAvx512(const BatchNormPass& p, const float* src, const float* mean,
                                        const float* variance, float* dst);
void batchNormBackwardAvx512(const BatchNormPass& p, const float* src, const float* gradDst,
                             const float* reluDst, const float* mean, const float* variance,
                             bool batchStatistics, float* gradSrc, float* gradWeight,
                             float* gradBias);

namespace {

constexpr int64_t kBatchNormParallelFrom = 1 << 14;  // fewer values stay on the calling thread

inline float scaleOf(const BatchNormPass& p, int64_t ch) { return p.weight ? p.weight[ch] : 1.0f; }
inline float shiftOf(const BatchNormPass& p, int64_t ch) { return p.bias ? p.bias[ch] : 0.0f; }

// The first value of channel `ch`'s plane `i` in a [N, C, S] tensor.
inline int64_t planeStart(const BatchNormPass& p, int64_t i, int64_t ch) {
  return (i * p.c + ch) * p.s;
}

// dst[i, ch, :] = src[i, ch, :] * a + b (then max(0, .) with p.relu) for every plane of channel `ch`.
inline void scaleChannel(const BatchNormPass& p, int64_t ch, const float* src, float a, float b,
                         float* dst) {
  for (int64_t i = 0; i < p.n; ++i) {
    const float* x = src + planeStart(p, i, ch);
    float* y = dst + planeStart(p, i, ch);
    if (p.relu) {
#pragma omp simd
      for (int64_t k = 0; k < p.s; ++k) y[k] = std::max(x[k] * a + b, 0.0f);
    } else {
#pragma omp simd
      for (int64_t k = 0; k < p.s; ++k) y[k] = x[k] * a + b;
    }
  }
}

// The gradient reaching the normalisation: gradDst, or where a fused ReLU passed nothing
// (its output reluDst is not positive) zero.
template <bool kRelu>
inline float reaching(const float* gradDst, const float* reluDst, int64_t k) {
  if constexpr (kRelu) return reluDst[k] > 0.0f ? gradDst[k] : 0.0f;
  return gradDst[k];
}

// Training: the batch's mean and biased variance (two passes: exact also where the mean is large
// against the spread) into mean/variance [C], then dst = scale * (src - mean) / sqrt(var + eps) + shift.
inline void normaliseWithBatchStatistics(const BatchNormPass& p, const float* src, float* dst,
                                         float* mean, float* variance) {
  const double count = static_cast<double>(p.n * p.s);
#pragma omp parallel for schedule(static) if (p.n * p.c * p.s >= kBatchNormParallelFrom)
  for (int64_t ch = 0; ch < p.c; ++ch) {
    double sum = 0;
    for (int64_t i = 0; i < p.n; ++i) {
      const float* x = src + planeStart(p, i, ch);
      float plane = 0;
#pragma omp simd reduction(+ : plane)
      for (int64_t k = 0; k < p.s; ++k) plane += x[k];
      sum += plane;
    }
    const float m = static_cast<float>(sum / count);
    double squares = 0;
    for (int64_t i = 0; i < p.n; ++i) {
      const float* x = src + planeStart(p, i, ch);
      float plane = 0;
#pragma omp simd reduction(+ : plane)
      for (int64_t k = 0; k < p.s; ++k) plane += (x[k] - m) * (x[k] - m);
      squares += plane;
    }
    const float v = static_cast<float>(squares / count);
    mean[ch] = m;
    variance[ch] = v;
    const float a = scaleOf(p, ch) / std::sqrt(v + p.eps);
    scaleChannel(p, ch, src, a, shiftOf(p, ch) - m * a, dst);
  }
}

// Inference: dst = scale * (src - mean) / sqrt(variance + eps) + shift with the given statistics.
inline void normaliseWithGivenStatistics(const BatchNormPass& p, const float* src,
                                         const float* mean, const float* variance, float* dst) {
#pragma omp parallel for schedule(static) if (p.n * p.c * p.s >= kBatchNormParallelFrom)
  for (int64_t ch = 0; ch < p.c; ++ch) {
    const float a = scaleOf(p, ch) / std::sqrt(variance[ch] + p.eps);
    scaleChannel(p, ch, src, a, shiftOf(p, ch) - mean[ch] * a, dst);
  }
}

// gradSrc from gradDst; gradWeight += sum(g * xhat), gradBias += sum(g) per channel (nullptr: not
// affine), xhat = (src - mean) / sqrt(variance + eps), g = the gradient reaching the normalisation
// (gradDst masked by a fused ReLU's output with kRelu). With batch statistics the mean and
// variance depend on src: gradSrc = a * (g - mean(g) - xhat * mean(g * xhat)) with
// a = scale / sqrt(variance + eps); with given statistics gradSrc = a * g.
template <bool kRelu>
inline void backwardPass(const BatchNormPass& p, const float* src, const float* gradDst,
                         const float* reluDst, const float* mean, const float* variance,
                         bool batchStatistics, float* gradSrc, float* gradWeight,
                         float* gradBias) {
  const double count = static_cast<double>(p.n * p.s);
#pragma omp parallel for schedule(static) if (p.n * p.c * p.s >= kBatchNormParallelFrom)
  for (int64_t ch = 0; ch < p.c; ++ch) {
    const float m = mean[ch];
    const float inverse = 1.0f / std::sqrt(variance[ch] + p.eps);
    double sumGrad = 0, sumGradCentred = 0;  // sum(g), sum(g * (src - mean))
    for (int64_t i = 0; i < p.n; ++i) {
      const int64_t start = planeStart(p, i, ch);
      const float* x = src + start;
      const float* dy = gradDst + start;
      const float* y = kRelu ? reluDst + start : nullptr;
      float plane = 0, planeCentred = 0;
#pragma omp simd reduction(+ : plane, planeCentred)
      for (int64_t k = 0; k < p.s; ++k) {
        const float g = reaching<kRelu>(dy, y, k);
        plane += g;
        planeCentred += g * (x[k] - m);
      }
      sumGrad += plane;
      sumGradCentred += planeCentred;
    }
    const float sumGradXhat = static_cast<float>(sumGradCentred) * inverse;
    if (gradWeight) {
      gradWeight[ch] += sumGradXhat;
      gradBias[ch] += static_cast<float>(sumGrad);
    }
    const float a = scaleOf(p, ch) * inverse;
    // gradSrc = a * g - a * mean(g) - (src - mean) * a * inverse * mean(g * xhat); with given
    // statistics only a * g
    const float offset = batchStatistics ? -a * static_cast<float>(sumGrad / count) : 0.0f;
    const float slope =
        batchStatistics ? a * inverse * static_cast<float>(sumGradXhat / count) : 0.0f;
    for (int64_t i = 0; i < p.n; ++i) {
      const int64_t start = planeStart(p, i, ch);
      const float* x = src + start;
      const float* dy = gradDst + start;
      const float* y = kRelu ? reluDst + start : nullptr;
      float* dx = gradSrc + start;
#pragma omp simd
      for (int64_t k = 0; k < p.s; ++k)
        dx[k] = a * reaching<kRelu>(dy, y, k) + offset - (x[k] - m) * slope;
    }
  }
}

// backwardPass with reluDst the output of a fused ReLU, or nullptr without one.
inline void batchNormBackward(const BatchNormPass& p, const float* src, const float* gradDst,
                              const float* reluDst, const float* mean, const float* variance,
                              bool batchStatistics, float* gradSrc, float* gradWeight,
                              float* gradBias) {
  if (reluDst)
    backwardPass<true>(p, src, gradDst, reluDst, mean, variance, batchStatistics, gradSrc,
                       gradWeight, gradBias);
  else
    backwardPass<false>(p, src, gradDst, nullptr, mean, variance, batchStatistics, gradSrc,
                        gradWeight, gradBias);
}

}  // namespace
}  // namespace shoal::backend::cpu
