// The passes of BatchNorm over channels-last activations: [M, C] rows (M = N x H x W, the channel innermost), built with batch_norm_kernels.hpp.
//
// A channel's values are a column, so every pass runs along the rows, vectorised across the
// channels. The rows go in at most kChunks chunks, a split fixed by the shape and never by the
// thread count; a chunk is one task that takes its per-channel sums in a fixed order while its
// rows stay in the core's cache (128 x 28 x 28 rows of 64 floats make chunks of 400 KB), and the
// chunks' sums are then added in chunk order, so the results do not depend on the thread count.
// Each direction reads the data twice from memory: once for the sums, once to write the result.
//
// A span is what one vectorised loop reads: for a small C, r whole rows, r x C a multiple of
// kLanes and at least kMinLanes (C = 3 makes spans of 96 rows, 288 values; C = 20 of 16 rows,
// C = 16 of 16, C = 64 of 4), otherwise one row, or blocks of kMaxLanes channels of it where C is
// larger. Lane k of a span belongs to channel c0 + k mod C, c0 the first channel of its block.
#pragma once
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <type_traits>

#include "batch_norm_pass.hpp"
#include "element_access.hpp"

namespace shoal::backend::cpu {
namespace {

constexpr int64_t kChunks = 64;      // most chunks the rows go in
constexpr int64_t kMinLanes = 256;   // values a span of a small C has at least
constexpr int64_t kMaxLanes = 1024;  // most values (accumulator lanes) in a span
constexpr int64_t kRunSpans = 64;    // spans summed in float lanes before the sums go to double

// How a pass walks the rows.
struct RowTiling {
  int64_t rows = 0;        // M
  int64_t groupRows = 1;   // rows per span
  int64_t blockWidth = 0;  // channels per block: C, or kMaxLanes where C is larger
  int64_t chunkRows = 0;   // rows per chunk, a multiple of groupRows
  int64_t chunks = 0;
};

inline RowTiling tilingOf(const BatchNormPass& p) {
  RowTiling t;
  t.rows = p.n * p.s;
  // the fewest rows whose values are a multiple of kLanes, as many of those as make kMinLanes
  const int64_t fewest = kLanes / std::gcd(p.c, kLanes);
  const int64_t fewestValues = fewest * p.c;
  const int64_t group = fewest * std::max<int64_t>(1, (kMinLanes + fewestValues - 1) / fewestValues);
  t.groupRows = group * p.c <= kMaxLanes ? group : 1;
  t.blockWidth = std::min(p.c, kMaxLanes);
  const int64_t groups = (t.rows + t.groupRows - 1) / t.groupRows;
  t.chunkRows = std::max<int64_t>(1, (groups + kChunks - 1) / kChunks) * t.groupRows;
  t.chunks = (t.rows + t.chunkRows - 1) / t.chunkRows;
  return t;
}

// The doubles a channels-last pass needs at BatchNormPass::scratch: up to three sums per chunk
// and channel, and three values per channel.
inline int64_t channelsLastScratch(const BatchNormPass& p) {
  return (3 * tilingOf(p).chunks + 3) * p.c;
}

// Chunk `chunk`'s rows [first, end).
struct RowRange {
  int64_t first, end;
};
inline RowRange rowsOf(const RowTiling& t, int64_t chunk) {
  return {chunk * t.chunkRows, std::min(t.rows, (chunk + 1) * t.chunkRows)};
}

// The lanes of block c0's spans.
inline int64_t lanesOf(const BatchNormPass& p, const RowTiling& t, int64_t width) {
  return (t.groupRows - 1) * p.c + width;
}

// span(start, count) for each span of rows `range` in the block of `width` channels from c0:
// `start` is the element index of lane 0, `count` the span's values (fewer than the block's
// lanes in a last group of fewer rows).
template <class Span>
inline void eachSpan(const BatchNormPass& p, const RowTiling& t, RowRange range, int64_t c0,
                     int64_t width, Span span) {
  for (int64_t row = range.first; row < range.end; row += t.groupRows)
    span(row * p.c + c0, (std::min(t.groupRows, range.end - row) - 1) * p.c + width);
}

// lanes[k] = perChannel(channel of lane k) for the block of `width` channels from c0.
template <class PerChannel>
inline void fillLanes(const BatchNormPass& p, const RowTiling& t, int64_t c0, int64_t width,
                      float* lanes, PerChannel perChannel) {
  for (int64_t j = 0; j < width; ++j) lanes[j] = perChannel(c0 + j);
  for (int64_t k = width; k < lanesOf(p, t, width); ++k) lanes[k] = lanes[k - p.c];
}

// sumFirst[channel of lane k0 + j] += a[j] and (kTwo) sumSecond[...] += b[j], j < count, in
// lane order.
template <bool kTwo>
inline void addLanes(const BatchNormPass& p, int64_t c0, int64_t k0, int64_t count, const float* a,
                     const float* b, double* sumFirst, double* sumSecond) {
  for (int64_t j = 0; j < count; ++j) {
    const int64_t ch = c0 + (k0 + j) % p.c;
    sumFirst[ch] += a[j];
    if constexpr (kTwo) sumSecond[ch] += b[j];
  }
}

// For each channel ch of the block of `width` channels from c0: sumFirst[ch] = the sum of
// first(i, k) and (kTwo) sumSecond[ch] = the sum of second(i, k) over the elements i of rows
// `range` in that channel, k being i's lane: float lanes over runs of kRunSpans spans, each lane's
// sum then added to its channel's double in lane order (a fixed order). Two loop orders with the
// same sums: span by span (kInCache false: the rows come from memory in order), or, for rows
// already in the cache, kLanes lanes at a time down the run's spans (their sums stay in registers).
template <bool kTwo, bool kInCache, class First, class Second>
inline void blockSums(const BatchNormPass& p, const RowTiling& t, RowRange range, int64_t c0,
                      int64_t width, First first, Second second, double* sumFirst,
                      double* sumSecond) {
  const int64_t lanes = lanesOf(p, t, width), runRows = kRunSpans * t.groupRows;
  for (int64_t j = c0; j < c0 + width; ++j) {
    sumFirst[j] = 0;
    if constexpr (kTwo) sumSecond[j] = 0;
  }
  for (int64_t run = range.first; run < range.end; run += runRows) {
    const RowRange runRange{run, std::min(range.end, run + runRows)};
    if constexpr (kInCache) {
      // whole spans, then a last span of fewer rows
      const int64_t wholeEnd =
          run + (runRange.end - run) / t.groupRows * t.groupRows, step = t.groupRows * p.c;
      for (int64_t k0 = 0; k0 < lanes; k0 += kLanes) {
        float a[kLanes] = {}, b[kLanes] = {};
        const bool wholeBlock = k0 + kLanes <= lanes;
        if (wholeBlock) {
          for (int64_t i = run * p.c + c0 + k0; i < wholeEnd * p.c; i += step) {
#pragma omp simd
            for (int64_t j = 0; j < kLanes; ++j) {
              a[j] += first(i + j, k0 + j);
              if constexpr (kTwo) b[j] += second(i + j, k0 + j);
            }
          }
        }
        eachSpan(p, t, {wholeBlock ? wholeEnd : run, runRange.end}, c0, width,
                 [&](int64_t start, int64_t count) {
                   for (int64_t j = 0; j < std::min(kLanes, count - k0); ++j) {
                     a[j] += first(start + k0 + j, k0 + j);
                     if constexpr (kTwo) b[j] += second(start + k0 + j, k0 + j);
                   }
                 });
        addLanes<kTwo>(p, c0, k0, std::min(kLanes, lanes - k0), a, b, sumFirst, sumSecond);
      }
    } else {
      float a[kMaxLanes], b[kMaxLanes];
      std::fill_n(a, lanes, 0.0f);
      if constexpr (kTwo) std::fill_n(b, lanes, 0.0f);
      eachSpan(p, t, runRange, c0, width, [&](int64_t start, int64_t count) {
        blockedLoop(count, [&](int64_t k) {
          a[k] += first(start + k, k);
          if constexpr (kTwo) b[k] += second(start + k, k);
        });
      });
      addLanes<kTwo>(p, c0, 0, lanes, a, b, sumFirst, sumSecond);
    }
  }
}

// dst = src * a + b per channel (then max(0, .) with p.relu) over chunk `chunk`'s rows, with
// a = aOf(ch) and b = bOf(ch).
template <class Src, class Dst, class A, class B>
inline void scaleChunk(const BatchNormPass& p, const RowTiling& t, int64_t chunk, const Src* src,
                       Dst* dst, A aOf, B bOf) {
  for (int64_t c0 = 0; c0 < p.c; c0 += t.blockWidth) {
    const int64_t width = std::min(t.blockWidth, p.c - c0);
    float a[kMaxLanes], b[kMaxLanes];
    fillLanes(p, t, c0, width, a, aOf);
    fillLanes(p, t, c0, width, b, bOf);
    eachSpan(p, t, rowsOf(t, chunk), c0, width, [&](int64_t start, int64_t count) {
      const Src* x = src + start;
      Dst* y = dst + start;
      if (p.relu)
        blockedLoop(count,
                    [&](int64_t k) { storeAt(y, k, std::max(valueAt(x, k) * a[k] + b[k], 0.0f)); });
      else
        blockedLoop(count, [&](int64_t k) { storeAt(y, k, valueAt(x, k) * a[k] + b[k]); });
    });
  }
}

// Training: the batch's mean and biased variance into mean/variance [C], then dst = scale *
// (src - mean) / sqrt(var + eps) + shift. Per chunk: its sums, then (from the cache) the sums of
// the deviations from its own mean and of their squares; across chunks, in chunk order, the
// variance about the batch's mean from those (exact also where the mean is large against the
// spread, as the plain pass's two passes are).
template <class Src, class Dst>
inline void channelsLastWithBatchStatistics(const BatchNormPass& p, const Src* src, Dst* dst,
                                            float* mean, float* variance) {
  const RowTiling t = tilingOf(p);
  double* sums = p.scratch;                   // [chunks, C]: sum(x)
  double* centred = sums + t.chunks * p.c;    // [chunks, C]: sum(x - the chunk's mean)
  double* squares = centred + t.chunks * p.c; // [chunks, C]: sum((x - the chunk's mean)^2)
  auto chunkMean = [&](int64_t chunk, int64_t ch) {
    const RowRange r = rowsOf(t, chunk);
    return static_cast<float>(sums[chunk * p.c + ch] / static_cast<double>(r.end - r.first));
  };
  const bool parallel = p.n * p.c * p.s >= kBatchNormParallelFrom;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t chunk = 0; chunk < t.chunks; ++chunk) {
    const RowRange range = rowsOf(t, chunk);
    for (int64_t c0 = 0; c0 < p.c; c0 += t.blockWidth) {
      const int64_t width = std::min(t.blockWidth, p.c - c0);
      blockSums<false, false>(
          p, t, range, c0, width, [&](int64_t i, int64_t) { return valueAt(src, i); },
          [](int64_t, int64_t) { return 0.0f; }, sums + chunk * p.c, nullptr);
      float m[kMaxLanes];
      fillLanes(p, t, c0, width, m, [&](int64_t ch) { return chunkMean(chunk, ch); });
      // from the cache: float rows lane block by lane block (bf16 ones measured faster span by span)
      blockSums<true, std::is_same_v<Src, float>>(
          p, t, range, c0, width, [&](int64_t i, int64_t k) { return valueAt(src, i) - m[k]; },
          [&](int64_t i, int64_t k) { return (valueAt(src, i) - m[k]) * (valueAt(src, i) - m[k]); },
          centred + chunk * p.c, squares + chunk * p.c);
    }
  }
  // on the calling thread (C x chunks additions): one parallel region fewer to wait for
  const double count = static_cast<double>(t.rows);
  for (int64_t ch = 0; ch < p.c; ++ch) {
    double sum = 0;
    for (int64_t chunk = 0; chunk < t.chunks; ++chunk) sum += sums[chunk * p.c + ch];
    const double mu = sum / count;
    // sum((x - mu)^2) = sum((x - m)^2) + 2 (m - mu) sum(x - m) + rows (m - mu)^2 per chunk
    double deviation = 0;
    for (int64_t chunk = 0; chunk < t.chunks; ++chunk) {
      const RowRange r = rowsOf(t, chunk);
      const double shift = chunkMean(chunk, ch) - mu;
      deviation += squares[chunk * p.c + ch] + 2 * shift * centred[chunk * p.c + ch] +
                   static_cast<double>(r.end - r.first) * shift * shift;
    }
    mean[ch] = static_cast<float>(mu);
    variance[ch] = static_cast<float>(std::max(0.0, deviation / count));
  }
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t chunk = 0; chunk < t.chunks; ++chunk)
    scaleChunk(p, t, chunk, src, dst,
               [&](int64_t ch) { return affineOf(p, ch, mean[ch], variance[ch]).a; },
               [&](int64_t ch) { return affineOf(p, ch, mean[ch], variance[ch]).b; });
}

// Inference: dst = scale * (src - mean) / sqrt(variance + eps) + shift with the given statistics
// (one pass; no scratch).
template <class Src, class Dst>
inline void channelsLastWithGivenStatistics(const BatchNormPass& p, const Src* src,
                                            const float* mean, const float* variance, Dst* dst) {
  const RowTiling t = tilingOf(p);
#pragma omp parallel for schedule(static) if (p.n * p.c * p.s >= kBatchNormParallelFrom)
  for (int64_t chunk = 0; chunk < t.chunks; ++chunk)
    scaleChunk(p, t, chunk, src, dst,
               [&](int64_t ch) { return affineOf(p, ch, mean[ch], variance[ch]).a; },
               [&](int64_t ch) { return affineOf(p, ch, mean[ch], variance[ch]).b; });
}

// Backward as backwardPass in batch_norm_kernels.hpp: per chunk the sums of g and of
// g * (src - mean), added across chunks in chunk order into each channel's GradientLine, then
// gradSrc = a * g + offset - (src - mean) * slope in a second pass.
template <bool kRelu, class Src, class Dst>
inline void channelsLastBackward(const BatchNormPass& p, const Src* src, const float* gradDst,
                                 const Dst* reluDst, const float* mean, const float* variance,
                                 bool batchStatistics, float* gradSrc, float* gradWeight,
                                 float* gradBias) {
  const RowTiling t = tilingOf(p);
  double* grads = p.scratch;                 // [chunks, C]: sum(g)
  double* centred = grads + t.chunks * p.c;  // [chunks, C]: sum(g * (x - mean))
  double* lines = centred + t.chunks * p.c;  // [3, C]: each channel's GradientLine
  const bool parallel = p.n * p.c * p.s >= kBatchNormParallelFrom;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t chunk = 0; chunk < t.chunks; ++chunk) {
    for (int64_t c0 = 0; c0 < p.c; c0 += t.blockWidth) {
      const int64_t width = std::min(t.blockWidth, p.c - c0);
      float m[kMaxLanes];
      fillLanes(p, t, c0, width, m, [&](int64_t ch) { return mean[ch]; });
      blockSums<true, false>(
          p, t, rowsOf(t, chunk), c0, width,
          [&](int64_t i, int64_t) { return reaching<kRelu>(gradDst, reluDst, i); },
          [&](int64_t i, int64_t k) {
            return reaching<kRelu>(gradDst, reluDst, i) * (valueAt(src, i) - m[k]);
          },
          grads + chunk * p.c, centred + chunk * p.c);
    }
  }
  const double rows = static_cast<double>(t.rows);
  for (int64_t ch = 0; ch < p.c; ++ch) {  // in channel order: gradientLineOf adds the gradients
    double sumGrad = 0, sumGradCentred = 0;
    for (int64_t chunk = 0; chunk < t.chunks; ++chunk) {
      sumGrad += grads[chunk * p.c + ch];
      sumGradCentred += centred[chunk * p.c + ch];
    }
    const GradientLine line =
        gradientLineOf(p, ch, 1.0f / std::sqrt(variance[ch] + p.eps), sumGrad, sumGradCentred,
                       rows, batchStatistics, gradWeight, gradBias);
    lines[ch] = line.a;
    lines[p.c + ch] = line.offset;
    lines[2 * p.c + ch] = line.slope;
  }
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t chunk = 0; chunk < t.chunks; ++chunk) {
    for (int64_t c0 = 0; c0 < p.c; c0 += t.blockWidth) {
      const int64_t width = std::min(t.blockWidth, p.c - c0);
      float m[kMaxLanes], a[kMaxLanes], offset[kMaxLanes], slope[kMaxLanes];
      fillLanes(p, t, c0, width, m, [&](int64_t ch) { return mean[ch]; });
      fillLanes(p, t, c0, width, a, [&](int64_t ch) { return static_cast<float>(lines[ch]); });
      fillLanes(p, t, c0, width, offset,
                [&](int64_t ch) { return static_cast<float>(lines[p.c + ch]); });
      fillLanes(p, t, c0, width, slope,
                [&](int64_t ch) { return static_cast<float>(lines[2 * p.c + ch]); });
      eachSpan(p, t, rowsOf(t, chunk), c0, width, [&](int64_t start, int64_t count) {
        const Src* x = src + start;
        const float* dy = gradDst + start;
        const Dst* y = kRelu ? reluDst + start : nullptr;
        float* dx = gradSrc + start;
        blockedLoop(count, [&](int64_t k) {
          dx[k] = a[k] * reaching<kRelu>(dy, y, k) + offset[k] - (valueAt(x, k) - m[k]) * slope[k];
        });
      });
    }
  }
}

}  // namespace
}  // namespace shoal::backend::cpu
