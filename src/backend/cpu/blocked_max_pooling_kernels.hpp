// The passes of BlockedMaxPooling, built three times: for the baseline instruction set, AVX2 and
// AVX-512. blocked_max_pooling.cpp includes this for the baseline build and picks the AVX-512 one
// (blocked_max_pooling_avx512.cpp, compiled with -mavx512f) or the AVX2 one
// (blocked_max_pooling_avx2.cpp, -mavx2) when the CPU has it: 16 lanes are one AVX-512 register,
// 8 lanes (oneDNN's channel blocks below AVX-512) one AVX2 register, against two or four SSE
// registers. Everything but the entry points of those builds has internal linkage, so that each
// build keeps its own instructions.
#pragma once
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "blocked_max_pooling.hpp"
#include "shoal/tensor/bfloat16.hpp"

// The entry points of one build (SUFFIX: Avx2 or Avx512), forwardPass and backwardPass below for
// the element types BlockedMaxPooling takes (a bf16 convolution's result read as bf16, the
// pooled output written as f32 or bf16, the pooled gradient read as f32 or bf16). `BODY` is `;`
// for the declarations and the call of the pass in the file compiled for that build.
#define SHOAL_BLOCKED_POOLING_FORWARD(SUFFIX, S, D, BODY) \
  void forwardPass##SUFFIX(const PoolingPass& p, const S* src, D* dst, uint8_t* selected) BODY
#define SHOAL_BLOCKED_POOLING_BACKWARD(SUFFIX, G, T, BODY)                                    \
  void backwardPass##SUFFIX(const PoolingPass& p, const G* gradDst, const uint8_t* selected, \
                            T* gradSrc) BODY
#define SHOAL_BLOCKED_POOLING_ENTRIES(SUFFIX, FORWARD_BODY, BACKWARD_BODY)       \
  SHOAL_BLOCKED_POOLING_FORWARD(SUFFIX, float, float, FORWARD_BODY)              \
  SHOAL_BLOCKED_POOLING_FORWARD(SUFFIX, bfloat16, float, FORWARD_BODY)           \
  SHOAL_BLOCKED_POOLING_FORWARD(SUFFIX, bfloat16, bfloat16, FORWARD_BODY)        \
  SHOAL_BLOCKED_POOLING_BACKWARD(SUFFIX, float, float, BACKWARD_BODY)            \
  SHOAL_BLOCKED_POOLING_BACKWARD(SUFFIX, bfloat16, float, BACKWARD_BODY)         \
  SHOAL_BLOCKED_POOLING_BACKWARD(SUFFIX, float, bfloat16, BACKWARD_BODY)         \
  SHOAL_BLOCKED_POOLING_BACKWARD(SUFFIX, bfloat16, bfloat16, BACKWARD_BODY)
// The definitions, for the file compiled for the build.
#define SHOAL_BLOCKED_POOLING_BUILD(SUFFIX)                                            \
  SHOAL_BLOCKED_POOLING_ENTRIES(SUFFIX, { forwardPass(p, src, dst, selected); }, \
                                { backwardPass(p, gradDst, selected, gradSrc); })

namespace shoal::backend::cpu {

// Only for CPUs with AVX2, and with AVX-512F.
SHOAL_BLOCKED_POOLING_ENTRIES(Avx2, ;, ;)
SHOAL_BLOCKED_POOLING_ENTRIES(Avx512, ;, ;)

namespace {

constexpr int32_t kNone = 255;              // selected position of a window passing no gradient
constexpr int64_t kParallelFrom = 1 << 14;  // fewer pooled values stay on the calling thread

// The `B` lanes of one pixel's channel block as GCC/clang vectors: comparisons give lane
// masks, `mask ? a : b` selects per lane. (Typedefs in a class template: GCC drops the
// attribute from an alias template.)
template <int B>
struct Vectors {
  typedef float Floats __attribute__((vector_size(B * sizeof(float))));
  typedef int32_t Ints __attribute__((vector_size(B * sizeof(int32_t))));
  typedef uint32_t Words __attribute__((vector_size(B * sizeof(uint32_t))));
  typedef uint16_t Halves __attribute__((vector_size(B * sizeof(uint16_t))));
  typedef uint8_t Bytes __attribute__((vector_size(B)));
};
template <int B>
using Floats = typename Vectors<B>::Floats;
template <int B>
using Ints = typename Vectors<B>::Ints;
template <int B>
using Bytes = typename Vectors<B>::Bytes;
template <int B>
using Words = typename Vectors<B>::Words;
template <int B>
using Halves = typename Vectors<B>::Halves;

// (Out-parameters: a vector returned by value would change the ABI between the two builds.)
template <class V>
inline void load(V& v, const void* p) {
  std::memcpy(&v, p, sizeof v);
}
template <class V>
inline void store(void* p, const V& v) {
  std::memcpy(p, &v, sizeof v);
}

// The B lanes at p as floats: f32 loaded as they are, bf16 widened exactly (its bits are the
// upper half of the f32's).
template <int B>
inline void loadLanes(Floats<B>& v, const float* p) {
  load(v, p);
}
template <int B>
inline void loadLanes(Floats<B>& v, const bfloat16* p) {
  Halves<B> half;
  load(half, p);
  Words<B> bits = __builtin_convertvector(half, Words<B>) << 16;
  std::memcpy(&v, &bits, sizeof v);
}

// The B lanes of v stored at p: f32 as they are, bf16 rounded to nearest even (a NaN stays a
// quiet NaN), as bfloat16Bits does one value.
template <int B>
inline void storeLanes(float* p, const Floats<B>& v) {
  store(p, v);
}
template <int B>
inline void storeLanes(bfloat16* p, const Floats<B>& v) {
  Words<B> bits;
  std::memcpy(&bits, &v, sizeof bits);
  Words<B> rounded = (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;
  Words<B> quiet = (bits >> 16) | 0x40u;
  Words<B> isNaN = reinterpret_cast<Words<B>>(v != v);
  store(p, __builtin_convertvector(isNaN ? quiet : rounded, Halves<B>));
}

// The rows (or columns) [begin, end) of the input that window `o` covers.
struct Span {
  int64_t first, begin, end;  // first: the window's first row or column, maybe in the padding
};
inline Span span(int64_t o, int64_t stride, int64_t pad, int64_t kernel, int64_t extent) {
  int64_t first = o * stride - pad;
  return {first, first > 0 ? first : 0, first + kernel < extent ? first + kernel : extent};
}

// The window's element at input row y, column x as its row-major index in the kernel.
inline int32_t position(const PoolingGeometry& g, const Span& rows, const Span& cols, int64_t y,
                        int64_t x) {
  return static_cast<int32_t>((y - rows.first) * g.kernelW + (x - cols.first));
}

// One image's channel block: src block (in layout; S = float or bfloat16) -> dst planes
// [lanes, PH, PW] (D = float or bfloat16; a maximum of bf16 values is one, so bf16 to bf16 is
// exact) and the selected positions [PH, PW, B].
template <int B, class S, class D>
inline void forwardBlock(const PoolingPass& p, const S* src, int64_t lanes, D* dst,
                         uint8_t* selected) {
  const PoolingGeometry& g = p.g;
  for (int64_t oh = 0; oh < p.ph; ++oh) {
    Span rows = span(oh, g.strideH, g.padH, g.kernelH, p.h);
    for (int64_t ow = 0; ow < p.pw; ++ow) {
      Span cols = span(ow, g.strideW, g.padW, g.kernelW, p.w);
      Floats<B> best = Floats<B>{} - std::numeric_limits<float>::infinity();
      Ints<B> at = Ints<B>{} + position(g, rows, cols, rows.begin, cols.begin);
      for (int64_t y = rows.begin; y < rows.end; ++y)
        for (int64_t x = cols.begin; x < cols.end; ++x) {
          Floats<B> v;
          loadLanes<B>(v, src + y * p.layout.row + x * p.layout.column);
          auto take = (v > best) | (v != v);  // NaN propagates, as in PyTorch
          best = take ? v : best;
          at = take ? position(g, rows, cols, y, x) : at;
        }
      if (p.maskNonPositive) at = best > 0.0f ? at : kNone;
      store(selected + (oh * p.pw + ow) * B, __builtin_convertvector(at, Bytes<B>));
      D* out = dst + oh * p.pw + ow;
      for (int64_t l = 0; l < lanes; ++l) out[l * p.ph * p.pw] = D(best[l]);
    }
  }
}

// gradSrc rows [y0, y1) x columns [x0, x1) of one channel block = 0 (T = float or bfloat16)
template <int B, class T>
inline void zeroBlock(const PoolingPass& p, T* gradSrc, int64_t y0, int64_t y1, int64_t x0,
                      int64_t x1) {
  for (int64_t y = y0; y < y1; ++y)
    for (int64_t x = x0; x < x1; ++x)
      storeLanes<B>(gradSrc + y * p.layout.row + x * p.layout.column, Floats<B>{});
}

// One image's channel block: gradDst planes [lanes, PH, PW] (G = float or bfloat16) -> gradSrc
// block (in layout; T = float, or bfloat16 where the windows tile the input, so that each
// element is written once and rounded once).
// When the windows tile the input (stride = kernel, no padding) every covered element is
// written once and only the uncovered rest is zeroed; otherwise the whole block is zeroed and
// the windows add into it.
template <int B, class G, class T>
inline void backwardBlock(const PoolingPass& p, const G* gradDst, int64_t lanes,
                          const uint8_t* selected, T* gradSrc) {
  const PoolingGeometry& g = p.g;
  const bool tiled =
      g.strideH == g.kernelH && g.strideW == g.kernelW && g.padH == 0 && g.padW == 0;
  if (tiled) {
    int64_t coveredH = p.ph * g.kernelH < p.h ? p.ph * g.kernelH : p.h;
    int64_t coveredW = p.pw * g.kernelW < p.w ? p.pw * g.kernelW : p.w;
    zeroBlock<B>(p, gradSrc, coveredH, p.h, 0, p.w);
    zeroBlock<B>(p, gradSrc, 0, coveredH, coveredW, p.w);
  } else {
    zeroBlock<B>(p, gradSrc, 0, p.h, 0, p.w);
  }
  for (int64_t oh = 0; oh < p.ph; ++oh) {
    Span rows = span(oh, g.strideH, g.padH, g.kernelH, p.h);
    for (int64_t ow = 0; ow < p.pw; ++ow) {
      Span cols = span(ow, g.strideW, g.padW, g.kernelW, p.w);
      const G* grad = gradDst + oh * p.pw + ow;
      Floats<B> routed{};  // padded lanes stay 0
      if (lanes == B)  // a whole block: a loop of constant length, which unrolls (bench_bf16_conv_block:
                       // the bf16 block's backward 6.6-7.1 -> 4.9-5.2 ms)
        for (int l = 0; l < B; ++l) routed[l] = static_cast<float>(grad[l * p.ph * p.pw]);
      else
        for (int64_t l = 0; l < lanes; ++l) routed[l] = static_cast<float>(grad[l * p.ph * p.pw]);
      Bytes<B> selectedHere;
      load(selectedHere, selected + (oh * p.pw + ow) * B);
      auto at = __builtin_convertvector(selectedHere, Ints<B>);
      for (int64_t y = rows.begin; y < rows.end; ++y)
        for (int64_t x = cols.begin; x < cols.end; ++x) {
          T* d = gradSrc + y * p.layout.row + x * p.layout.column;
          Floats<B> here = at == position(g, rows, cols, y, x) ? routed : Floats<B>{};
          if (!tiled) {
            Floats<B> before;
            loadLanes<B>(before, d);
            here += before;
          }
          storeLanes<B>(d, here);
        }
    }
  }
}

// body(std::integral_constant<int, B>) for B = block: lane loops of a constant size compile to
// whole vectors.
template <class Body>
inline void withBlock(int64_t block, Body&& body) {
  switch (block) {
    case 16: return body(std::integral_constant<int, 16>{});
    case 8: return body(std::integral_constant<int, 8>{});
    case 4: return body(std::integral_constant<int, 4>{});
    case 2: return body(std::integral_constant<int, 2>{});
    default: return body(std::integral_constant<int, 1>{});
  }
}

// The number of real channels in channel block cb.
inline int64_t lanesOf(const PoolingPass& p, int64_t cb) {
  int64_t rest = p.c - cb * p.layout.block;
  return rest < p.layout.block ? rest : p.layout.block;
}

// src (in layout) -> dst [N, C, PH, PW], selected [N, blocks, PH, PW, block]; the images and
// channel blocks are split over the OpenMP threads.
template <class S, class D>
inline void forwardPass(const PoolingPass& p, const S* src, D* dst, uint8_t* selected) {
  const int64_t block = p.layout.block, items = p.n * p.blocks, pooled = p.ph * p.pw;
#pragma omp parallel for if (items * pooled * block >= kParallelFrom)
  for (int64_t item = 0; item < items; ++item) {
    int64_t n = item / p.blocks, cb = item % p.blocks;
    withBlock(block, [&](auto b) {
      forwardBlock<b.value>(p, src + n * p.layout.batch + cb * p.layout.channelBlock,
                            lanesOf(p, cb), dst + (n * p.c + cb * block) * pooled,
                            selected + item * pooled * block);
    });
  }
}

// gradDst [N, C, PH, PW] -> gradSrc (in layout) through `selected`.
template <class G, class T>
inline void backwardPass(const PoolingPass& p, const G* gradDst, const uint8_t* selected,
                         T* gradSrc) {
  const int64_t block = p.layout.block, items = p.n * p.blocks, pooled = p.ph * p.pw;
#pragma omp parallel for if (items * pooled * block >= kParallelFrom)
  for (int64_t item = 0; item < items; ++item) {
    int64_t n = item / p.blocks, cb = item % p.blocks;
    withBlock(block, [&](auto b) {
      backwardBlock<b.value>(p, gradDst + (n * p.c + cb * block) * pooled, lanesOf(p, cb),
                             selected + item * pooled * block,
                             gradSrc + n * p.layout.batch + cb * p.layout.channelBlock);
    });
  }
}

}  // namespace
}  // namespace shoal::backend::cpu
