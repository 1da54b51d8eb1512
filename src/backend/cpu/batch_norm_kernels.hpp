// The passes of BatchNorm over [N, C, S] tensors (plain NCHW; channels-last ones go to batch_norm_channels_last.hpp), built twice.
// For the baseline instruction set and for AVX-512: batch_norm.cpp includes this for the
// baseline build and picks the AVX-512 one (batch_norm_avx512.cpp, compiled with -mavx512f) when
// the CPU has it. Everything but the
// AVX-512 entry points has internal linkage, so that each build keeps its own instructions.
//
// Each channel is one task: its N planes of S values are read a few times in a row, so after the
// first pass they come from the core's cache (a channel of 128 x 28 x 28 floats is 400 KB), and
// every channel's sums are taken in the same order whatever the thread count (deterministic).
//
// The activations (src, dst and a fused ReLU's output) are float or bfloat16 (bf16 runs keep
// them bf16 between a graph's nodes); every sum, statistic, parameter and gradient is float, and
// a bf16 output is the float result rounded once (nearest even).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "batch_norm_channels_last.hpp"
#include "batch_norm_pass.hpp"
#include "element_access.hpp"

namespace shoal::backend::cpu {

// The AVX-512 builds of the passes below (batch_norm_avx512_entries.hpp): for float activations
// on CPUs with AVX-512F (batch_norm_avx512.cpp), where one is bfloat16 on CPUs with AVX-512BW
// and VL too (batch_norm_bf16_avx512.cpp).
template <class Src, class Dst>
void normaliseWithBatchStatisticsAvx512(const BatchNormPass& p, const Src* src, Dst* dst,
                                        float* mean, float* variance);
template <class Src, class Dst>
void normaliseWithGivenStatisticsAvx512(const BatchNormPass& p, const Src* src, const float* mean,
                                        const float* variance, Dst* dst);
template <class Src, class Dst>
void batchNormBackwardAvx512(const BatchNormPass& p, const Src* src, const float* gradDst,
                             const Dst* reluDst, const float* mean, const float* variance,
                             bool batchStatistics, float* gradSrc, float* gradWeight,
                             float* gradBias);

namespace {

// Where an activation is bf16, the loops along a plane run in blocks of kLanes values (one
// AVX-512 register of floats) and a scalar remainder: GCC vectorises a loop over 2-byte elements
// 32 lanes wide and leaves the rest of each plane (up to 31 values: 17 of each 7x7 plane) to a
// scalar remainder that costs about ten times as much per value. The f32 loops stay as they are.
template <class Src, class Dst>
constexpr bool kInBlocks = !(std::is_same_v<Src, float> && std::is_same_v<Dst, float>);

// The sums over k in [0, count) of first(k) and second(k), each summed lane by lane over the
// blocks of kLanes, the lanes then added in order, then the remainder (a fixed order).
template <class First, class Second>
inline void blockedSums(int64_t count, First first, Second second, float& sumFirst, float& sumSecond) {
  float a[kLanes] = {}, b[kLanes] = {};
  int64_t k = 0;
  for (; k + kLanes <= count; k += kLanes) {
#pragma omp simd
    for (int64_t j = 0; j < kLanes; ++j) {
      a[j] += first(k + j);
      b[j] += second(k + j);
    }
  }
  sumFirst = sumSecond = 0;
  for (int64_t j = 0; j < kLanes; ++j) {
    sumFirst += a[j];
    sumSecond += b[j];
  }
  for (; k < count; ++k) {
    sumFirst += first(k);
    sumSecond += second(k);
  }
}

// The first value of channel `ch`'s plane `i` in a [N, C, S] tensor.
inline int64_t planeStart(const BatchNormPass& p, int64_t i, int64_t ch) {
  return (i * p.c + ch) * p.s;
}

// dst[i, ch, :] = src[i, ch, :] * a + b (then max(0, .) with p.relu) for every plane of channel `ch`.
template <class Src, class Dst>
inline void scaleChannel(const BatchNormPass& p, int64_t ch, const Src* src, float a, float b,
                         Dst* dst) {
  for (int64_t i = 0; i < p.n; ++i) {
    const Src* x = src + planeStart(p, i, ch);
    Dst* y = dst + planeStart(p, i, ch);
    if constexpr (kInBlocks<Src, Dst>) {
      if (p.relu)
        blockedLoop(p.s, [&](int64_t k) { storeAt(y, k, std::max(valueAt(x, k) * a + b, 0.0f)); });
      else
        blockedLoop(p.s, [&](int64_t k) { storeAt(y, k, valueAt(x, k) * a + b); });
    } else if (p.relu) {
#pragma omp simd
      for (int64_t k = 0; k < p.s; ++k) storeAt(y, k, std::max(valueAt(x, k) * a + b, 0.0f));
    } else {
#pragma omp simd
      for (int64_t k = 0; k < p.s; ++k) storeAt(y, k, valueAt(x, k) * a + b);
    }
  }
}

// ---- [N, C] batches (S = 1): a channel's values are a column, so channels go in blocks of
// kRowBlock per task and each pass runs along the rows, vectorised across the block's channels.
constexpr int64_t kRowBlock = 64;
constexpr int64_t kRowRun = 64;  // rows summed in float before their sum is added in double

inline int64_t rowBlocks(const BatchNormPass& p) { return (p.c + kRowBlock - 1) / kRowBlock; }

// dst[i, c0 + j] = src[i, c0 + j] * a[j] + b[j] (then max(0, .) with p.relu), j < width.
template <class Src, class Dst>
inline void scaleRows(const BatchNormPass& p, int64_t c0, int64_t width, const Src* src,
                      const float* a, const float* b, Dst* dst) {
  for (int64_t i = 0; i < p.n; ++i) {
    const Src* x = src + i * p.c + c0;
    Dst* y = dst + i * p.c + c0;
    if (p.relu) {
#pragma omp simd
      for (int64_t j = 0; j < width; ++j) storeAt(y, j, std::max(valueAt(x, j) * a[j] + b[j], 0.0f));
    } else {
#pragma omp simd
      for (int64_t j = 0; j < width; ++j) storeAt(y, j, valueAt(x, j) * a[j] + b[j]);
    }
  }
}

template <class Src, class Dst>
inline void rowsWithBatchStatistics(const BatchNormPass& p, const Src* src, Dst* dst,
                                    float* mean, float* variance) {
#pragma omp parallel for schedule(static) if (p.n * p.c >= kBatchNormParallelFrom)
  for (int64_t block = 0; block < rowBlocks(p); ++block) {
    const int64_t c0 = block * kRowBlock, width = std::min(kRowBlock, p.c - c0);
    double sum[kRowBlock] = {}, squares[kRowBlock] = {};
    float m[kRowBlock], a[kRowBlock], b[kRowBlock];
    for (int64_t i = 0; i < p.n; ++i) {
      const Src* x = src + i * p.c + c0;
#pragma omp simd
      for (int64_t j = 0; j < width; ++j) sum[j] += valueAt(x, j);
    }
    for (int64_t j = 0; j < width; ++j) m[j] = static_cast<float>(sum[j] / static_cast<double>(p.n));
    for (int64_t i = 0; i < p.n; ++i) {
      const Src* x = src + i * p.c + c0;
#pragma omp simd
      for (int64_t j = 0; j < width; ++j)
        squares[j] += (valueAt(x, j) - m[j]) * (valueAt(x, j) - m[j]);
    }
    for (int64_t j = 0; j < width; ++j) {
      const float v = static_cast<float>(squares[j] / static_cast<double>(p.n));
      mean[c0 + j] = m[j];
      variance[c0 + j] = v;
      const ChannelAffine f = affineOf(p, c0 + j, m[j], v);
      a[j] = f.a;
      b[j] = f.b;
    }
    scaleRows(p, c0, width, src, a, b, dst);
  }
}

template <class Src, class Dst>
inline void rowsWithGivenStatistics(const BatchNormPass& p, const Src* src, const float* mean,
                                    const float* variance, Dst* dst) {
#pragma omp parallel for schedule(static) if (p.n * p.c >= kBatchNormParallelFrom)
  for (int64_t block = 0; block < rowBlocks(p); ++block) {
    const int64_t c0 = block * kRowBlock, width = std::min(kRowBlock, p.c - c0);
    float a[kRowBlock], b[kRowBlock];
    for (int64_t j = 0; j < width; ++j) {
      const ChannelAffine f = affineOf(p, c0 + j, mean[c0 + j], variance[c0 + j]);
      a[j] = f.a;
      b[j] = f.b;
    }
    scaleRows(p, c0, width, src, a, b, dst);
  }
}

template <bool kRelu, class Src, class Dst>
inline void rowsBackward(const BatchNormPass& p, const Src* src, const float* gradDst,
                         const Dst* reluDst, const float* mean, const float* variance,
                         bool batchStatistics, float* gradSrc, float* gradWeight, float* gradBias) {
#pragma omp parallel for schedule(static) if (p.n * p.c >= kBatchNormParallelFrom)
  for (int64_t block = 0; block < rowBlocks(p); ++block) {
    const int64_t c0 = block * kRowBlock, width = std::min(kRowBlock, p.c - c0);
    const float* m = mean + c0;
    // sums in float over runs of kRowRun rows (vectorised), the runs added in double
    double sumGrad[kRowBlock] = {}, sumGradCentred[kRowBlock] = {};
    for (int64_t run = 0; run < p.n; run += kRowRun) {
      float grad[kRowBlock] = {}, centred[kRowBlock] = {};
      for (int64_t i = run; i < std::min(run + kRowRun, p.n); ++i) {
        const int64_t start = i * p.c + c0;
        const Src* x = src + start;
        const float* dy = gradDst + start;
        const Dst* y = kRelu ? reluDst + start : nullptr;
#pragma omp simd
        for (int64_t j = 0; j < width; ++j) {
          const float g = reaching<kRelu>(dy, y, j);
          grad[j] += g;
          centred[j] += g * (valueAt(x, j) - m[j]);
        }
      }
      for (int64_t j = 0; j < width; ++j) {
        sumGrad[j] += grad[j];
        sumGradCentred[j] += centred[j];
      }
    }
    float a[kRowBlock], offset[kRowBlock], slope[kRowBlock];
    for (int64_t j = 0; j < width; ++j) {
      const GradientLine line = gradientLineOf(
          p, c0 + j, 1.0f / std::sqrt(variance[c0 + j] + p.eps), sumGrad[j], sumGradCentred[j],
          static_cast<double>(p.n), batchStatistics, gradWeight, gradBias);
      a[j] = line.a;
      offset[j] = line.offset;
      slope[j] = line.slope;
    }
    for (int64_t i = 0; i < p.n; ++i) {
      const int64_t start = i * p.c + c0;
      const Src* x = src + start;
      const float* dy = gradDst + start;
      const Dst* y = kRelu ? reluDst + start : nullptr;
      float* dx = gradSrc + start;
#pragma omp simd
      for (int64_t j = 0; j < width; ++j)
        dx[j] = a[j] * reaching<kRelu>(dy, y, j) + offset[j] - (valueAt(x, j) - m[j]) * slope[j];
    }
  }
}

// ---- [N, C, S] with S > 1: one channel per task, its planes read in turn.

// Training: the batch's mean and biased variance (two passes: exact also where the mean is large
// against the spread) into mean/variance [C], then dst = scale * (src - mean) / sqrt(var + eps) + shift.
template <class Src, class Dst>
inline void normaliseWithBatchStatistics(const BatchNormPass& p, const Src* src, Dst* dst,
                                         float* mean, float* variance) {
  if (p.channelsLast) return channelsLastWithBatchStatistics(p, src, dst, mean, variance);
  if (p.s == 1) return rowsWithBatchStatistics(p, src, dst, mean, variance);
  const double count = static_cast<double>(p.n * p.s);
#pragma omp parallel for schedule(static) if (p.n * p.c * p.s >= kBatchNormParallelFrom)
  for (int64_t ch = 0; ch < p.c; ++ch) {
    double sum = 0;
    for (int64_t i = 0; i < p.n; ++i) {
      const Src* x = src + planeStart(p, i, ch);
      float plane = 0, unused;
      if constexpr (kInBlocks<Src, Dst>) {
        blockedSums(p.s, [&](int64_t k) { return valueAt(x, k); }, [](int64_t) { return 0.0f; },
                    plane, unused);
      } else {
#pragma omp simd reduction(+ : plane)
        for (int64_t k = 0; k < p.s; ++k) plane += valueAt(x, k);
      }
      sum += plane;
    }
    const float m = static_cast<float>(sum / count);
    double squares = 0;
    for (int64_t i = 0; i < p.n; ++i) {
      const Src* x = src + planeStart(p, i, ch);
      float plane = 0, unused;
      if constexpr (kInBlocks<Src, Dst>) {
        blockedSums(p.s, [&](int64_t k) { return (valueAt(x, k) - m) * (valueAt(x, k) - m); },
                    [](int64_t) { return 0.0f; }, plane, unused);
      } else {
#pragma omp simd reduction(+ : plane)
        for (int64_t k = 0; k < p.s; ++k) plane += (valueAt(x, k) - m) * (valueAt(x, k) - m);
      }
      squares += plane;
    }
    const float v = static_cast<float>(squares / count);
    mean[ch] = m;
    variance[ch] = v;
    const ChannelAffine f = affineOf(p, ch, m, v);
    scaleChannel(p, ch, src, f.a, f.b, dst);
  }
}

// Inference: dst = scale * (src - mean) / sqrt(variance + eps) + shift with the given statistics.
template <class Src, class Dst>
inline void normaliseWithGivenStatistics(const BatchNormPass& p, const Src* src,
                                         const float* mean, const float* variance, Dst* dst) {
  if (p.channelsLast) return channelsLastWithGivenStatistics(p, src, mean, variance, dst);
  if (p.s == 1) return rowsWithGivenStatistics(p, src, mean, variance, dst);
#pragma omp parallel for schedule(static) if (p.n * p.c * p.s >= kBatchNormParallelFrom)
  for (int64_t ch = 0; ch < p.c; ++ch) {
    const ChannelAffine f = affineOf(p, ch, mean[ch], variance[ch]);
    scaleChannel(p, ch, src, f.a, f.b, dst);
  }
}

// gradSrc from gradDst; gradWeight += sum(g * xhat), gradBias += sum(g) per channel (nullptr: not
// affine), xhat = (src - mean) / sqrt(variance + eps), g = the gradient reaching the normalisation
// (gradDst masked by a fused ReLU's output with kRelu). With batch statistics the mean and
// variance depend on src: gradSrc = a * (g - mean(g) - xhat * mean(g * xhat)) with
// a = scale / sqrt(variance + eps); with given statistics gradSrc = a * g.
template <bool kRelu, class Src, class Dst>
inline void backwardPass(const BatchNormPass& p, const Src* src, const float* gradDst,
                         const Dst* reluDst, const float* mean, const float* variance,
                         bool batchStatistics, float* gradSrc, float* gradWeight,
                         float* gradBias) {
  if (p.channelsLast)
    return channelsLastBackward<kRelu>(p, src, gradDst, reluDst, mean, variance, batchStatistics,
                                       gradSrc, gradWeight, gradBias);
  if (p.s == 1)
    return rowsBackward<kRelu>(p, src, gradDst, reluDst, mean, variance, batchStatistics, gradSrc,
                               gradWeight, gradBias);
  const double count = static_cast<double>(p.n * p.s);
#pragma omp parallel for schedule(static) if (p.n * p.c * p.s >= kBatchNormParallelFrom)
  for (int64_t ch = 0; ch < p.c; ++ch) {
    const float m = mean[ch];
    const float inverse = 1.0f / std::sqrt(variance[ch] + p.eps);
    double sumGrad = 0, sumGradCentred = 0;  // sum(g), sum(g * (src - mean))
    for (int64_t i = 0; i < p.n; ++i) {
      const int64_t start = planeStart(p, i, ch);
      const Src* x = src + start;
      const float* dy = gradDst + start;
      const Dst* y = kRelu ? reluDst + start : nullptr;
      float plane = 0, planeCentred = 0;
      if constexpr (kInBlocks<Src, Dst>) {
        blockedSums(
            p.s, [&](int64_t k) { return reaching<kRelu>(dy, y, k); },
            [&](int64_t k) { return reaching<kRelu>(dy, y, k) * (valueAt(x, k) - m); }, plane,
            planeCentred);
      } else {
#pragma omp simd reduction(+ : plane, planeCentred)
        for (int64_t k = 0; k < p.s; ++k) {
          const float g = reaching<kRelu>(dy, y, k);
          plane += g;
          planeCentred += g * (valueAt(x, k) - m);
        }
      }
      sumGrad += plane;
      sumGradCentred += planeCentred;
    }
    const GradientLine line = gradientLineOf(p, ch, inverse, sumGrad, sumGradCentred, count,
                                             batchStatistics, gradWeight, gradBias);
    for (int64_t i = 0; i < p.n; ++i) {
      const int64_t start = planeStart(p, i, ch);
      const Src* x = src + start;
      const float* dy = gradDst + start;
      const Dst* y = kRelu ? reluDst + start : nullptr;
      float* dx = gradSrc + start;
      auto gradientAt = [&](int64_t k) {
        dx[k] = line.a * reaching<kRelu>(dy, y, k) + line.offset - (valueAt(x, k) - m) * line.slope;
      };
      if constexpr (kInBlocks<Src, Dst>) {
        blockedLoop(p.s, gradientAt);
      } else {
#pragma omp simd
        for (int64_t k = 0; k < p.s; ++k) gradientAt(k);
      }
    }
  }
}

// backwardPass with reluDst the output of a fused ReLU, or nullptr without one.
template <class Src, class Dst>
inline void batchNormBackward(const BatchNormPass& p, const Src* src, const float* gradDst,
                              const Dst* reluDst, const float* mean, const float* variance,
                              bool batchStatistics, float* gradSrc, float* gradWeight,
                              float* gradBias) {
  if (reluDst)
    backwardPass<true>(p, src, gradDst, reluDst, mean, variance, batchStatistics, gradSrc,
                       gradWeight, gradBias);
  else
    backwardPass<false, Src, Dst>(p, src, gradDst, nullptr, mean, variance, batchStatistics,
                                  gradSrc, gradWeight, gradBias);
}

}  // namespace
}  // namespace shoal::backend::cpu
