// The AVX-512 passes of SinglePlaneConvolution (this file is compiled with -mavx512f): rows of output pixels in 1 to 4 vectors.
//
// No std:: algorithms here: an out-of-line copy of one, built with AVX-512, could be the one the
// linker keeps for every other file.
#include <immintrin.h>

#include "single_plane_convolution_kernels.hpp"

namespace shoal::backend::cpu {
namespace {

constexpr int64_t kLanes = 16;

int64_t larger(int64_t a, int64_t b) { return a > b ? a : b; }
int64_t smaller(int64_t a, int64_t b) { return a < b ? a : b; }

void zero(float* out, int64_t count) {
  for (int64_t i = 0; i < count; ++i) out[i] = 0.0f;
}

// A zero-bordered copy of one [H, W] plane: `top` rows and `left` columns of zeros before it,
// zeros after it up to [rows, stride].
struct BorderedPlane {
  int64_t rows, stride, top, left;
};

void copyBordered(const float* plane, int64_t h, int64_t w, const BorderedPlane& b, float* out) {
  zero(out, b.rows * b.stride);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) out[(y + b.top) * b.stride + b.left + x] = plane[y * w + x];
}

// The bordered input plane of the forward pass and the weight gradients: vector loads at every
// tap of rows of V vectors stay inside it.
template <int V>
BorderedPlane inputPlane(const SinglePlanePass& p) {
  return {p.h + 2 * p.ph, larger(V * kLanes + p.k - 1, p.w + 2 * p.pw), p.ph, p.pw};
}

// The sum of the 16 lanes, in lane order.
float laneSum(__m512 v) {
  alignas(64) float lanes[kLanes];
  _mm512_store_ps(lanes, v);
  float sum = 0.0f;
  for (int64_t k = 0; k < kLanes; ++k) sum += lanes[k];
  return sum;
}

// Lanes [0, count) of a vector: all for count >= 16, none for count <= 0.
__mmask16 lanesOf(int64_t count) {
  if (count <= 0) return 0;
  return count >= kLanes ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << count) - 1);
}

// Lane 2j from the first vector's lane j, lane 2j + 1 from the second's (_mm512_permutex2var_ps).
__m512i interleaved() {
  return _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
}

// rows [planes, OH, V x 16] (the ReLU'd results, whole vectors) -> dst [planes, OH / 2, OW / 2]
// and selected (the same): each vector of 16 pixels of two rows gives 8 windows, their four
// candidates the even and odd lanes of each row.
template <int V>
void poolRows(const float* rows, int64_t planes, int64_t oh, int64_t ow, bool relu, float* dst,
              uint8_t* selected) {
  const int64_t ph = oh / 2, pw = ow / 2, rowLength = V * kLanes;
  const __m512i even = _mm512_set_epi32(0, 0, 0, 0, 0, 0, 0, 0, 14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i odd = _mm512_set_epi32(0, 0, 0, 0, 0, 0, 0, 0, 15, 13, 11, 9, 7, 5, 3, 1);
  for (int64_t plane = 0; plane < planes; ++plane)
    for (int64_t py = 0; py < ph; ++py) {
      const float* top = rows + (plane * oh + 2 * py) * rowLength;
      for (int v = 0; v < V && 8 * v < pw; ++v) {
        const __m512 upper = _mm512_load_ps(top + v * kLanes);
        const __m512 lower = _mm512_load_ps(top + rowLength + v * kLanes);
        const __m512 candidates[4] = {
            _mm512_maskz_permutexvar_ps(0xFFFF, even, upper), _mm512_maskz_permutexvar_ps(0xFFFF, odd, upper),
            _mm512_maskz_permutexvar_ps(0xFFFF, even, lower), _mm512_maskz_permutexvar_ps(0xFFFF, odd, lower)};
        __m512 best = candidates[0];
        __m512i choice = _mm512_setzero_si512();
#pragma GCC unroll 32
        for (int c = 1; c < 4; ++c) {  // strictly greater: the first maximum stays
          const __mmask16 greater = _mm512_cmp_ps_mask(candidates[c], best, _CMP_GT_OQ);
          best = _mm512_mask_mov_ps(best, greater, candidates[c]);
          choice = _mm512_mask_mov_epi32(choice, greater, _mm512_set1_epi32(c));
        }
        if (relu)
          choice = _mm512_mask_mov_epi32(choice, _mm512_cmp_ps_mask(best, _mm512_setzero_ps(), _CMP_LE_OQ),
                                         _mm512_set1_epi32(kSinglePlaneNoSelection));
        const int64_t first = 8 * v, count = smaller(8, pw - first), at = (plane * ph + py) * pw + first;
        _mm512_mask_storeu_ps(dst + at, lanesOf(count), best);
        _mm512_mask_cvtepi32_storeu_epi8(selected + at, lanesOf(count), choice);
      }
    }
}

// src [N, 1, H, W], weight [Out, 1, K, K], bias [Out] or null -> dst [N, Out, OH, OW], or the
// pooled [N, Out, OH / 2, OW / 2] and selected (the same); rows of V vectors, G planes at a time.
template <int V, int K, int G>
void forwardImages(const SinglePlanePass& p, const float* src, const float* weight,
                   const float* bias, bool relu, float* dst, uint8_t* selected) {
  const int64_t oh = p.oh(), ow = p.ow(), pooledPlane = (oh / 2) * (ow / 2);
  const BorderedPlane b = inputPlane<V>(p);
#pragma omp parallel for schedule(static)
  for (int64_t image = 0; image < p.n; ++image) {
    alignas(64) float plane[kSinglePlaneMaxBuffer];
    alignas(64) float rows[kSinglePlaneMaxBuffer];  // pooled: [G, OH, V x 16], G planes at a time
    copyBordered(src + image * p.h * p.w, p.h, p.w, b, plane);
    for (int64_t oc0 = 0; oc0 < p.out; oc0 += G) {
      const int64_t group = smaller(G, p.out - oc0);
      float taps[K * K][G], shifts[G];  // zero for the planes past the last
      for (int g = 0; g < G; ++g) {
        for (int t = 0; t < K * K; ++t) taps[t][g] = g < group ? weight[(oc0 + g) * K * K + t] : 0.0f;
        shifts[g] = bias && g < group ? bias[oc0 + g] : 0.0f;
      }
      for (int64_t y = 0; y < oh; ++y) {
        __m512 sums[G][V];
#pragma GCC unroll 32
        for (int g = 0; g < G; ++g)
#pragma GCC unroll 32
          for (int v = 0; v < V; ++v) sums[g][v] = _mm512_set1_ps(shifts[g]);
        const float* in = plane + y * b.stride;
#pragma GCC unroll 32
        for (int ky = 0; ky < K; ++ky)
#pragma GCC unroll 32
          for (int kx = 0; kx < K; ++kx) {
            __m512 x[V];
#pragma GCC unroll 32
            for (int v = 0; v < V; ++v) x[v] = _mm512_loadu_ps(in + ky * b.stride + kx + v * kLanes);
#pragma GCC unroll 32
            for (int g = 0; g < G; ++g) {
              const __m512 tap = _mm512_set1_ps(taps[ky * K + kx][g]);
#pragma GCC unroll 32
              for (int v = 0; v < V; ++v) sums[g][v] = _mm512_fmadd_ps(tap, x[v], sums[g][v]);
            }
          }
        for (int g = 0; g < group; ++g)
#pragma GCC unroll 32
          for (int v = 0; v < V; ++v) {
            const __m512 value = relu ? _mm512_maskz_max_ps(0xFFFF, sums[g][v], _mm512_setzero_ps()) : sums[g][v];
            if (p.pooled)
              _mm512_store_ps(rows + (g * oh + y) * V * kLanes + v * kLanes, value);
            else
              _mm512_mask_storeu_ps(dst + ((image * p.out + oc0 + g) * oh + y) * ow + v * kLanes,
                                    lanesOf(ow - v * kLanes), value);
          }
      }
      if (p.pooled) {
        const int64_t at = (image * p.out + oc0) * pooledPlane;
        poolRows<V>(rows, group, oh, ow, relu, dst + at, selected + at);
      }
    }
  }
}

// The output gradient one vector (16 pixels) at a time: read from [N, Out, OH, OW], or
// (kPooled) routed on the fly from the pooled gradient [N, Out, OH / 2, OW / 2] through the
// windows' selections, as singlePlaneRouteAvx512 writes it.
template <bool kPooled>
struct GradientRows {
  const float* grad;
  const uint8_t* selected;  // kPooled: 8 bytes readable from every window
  int64_t oh, ow;

  // plane (image x Out + output plane), row y, pixels [16 v, 16 v + 16) (0 past OW)
  __m512 at(int64_t plane, int64_t y, int v) const {
    if constexpr (!kPooled) {
      return _mm512_maskz_loadu_ps(lanesOf(ow - v * kLanes), grad + (plane * oh + y) * ow + v * kLanes);
    } else {
      const int64_t pw = ow / 2, first = 8 * v, window = (plane * (oh / 2) + y / 2) * pw + first;
      const __m512 pooled = _mm512_maskz_loadu_ps(lanesOf(pw - first), grad + window);
      const __m512i choice =
          _mm512_maskz_cvtepu8_epi32(0xFFFF, _mm_loadl_epi64(reinterpret_cast<const __m128i*>(selected + window)));
      const int left = static_cast<int>(y % 2) * 2;  // the selection of this row's left element
      const __m512 even = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(choice, _mm512_set1_epi32(left)), pooled);
      const __m512 odd = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(choice, _mm512_set1_epi32(left + 1)), pooled);
      return _mm512_permutex2var_ps(even, interleaved(), odd);
    }
  }
};

// pooled gradient and selected [N, Out, OH / 2, OW / 2] (rows) -> routed [N, Out, OH, OW]
template <int V>
void routeImages(const SinglePlanePass& p, const GradientRows<true>& rows, float* routed) {
  const int64_t oh = p.oh(), ow = p.ow();
#pragma omp parallel for schedule(static)
  for (int64_t plane = 0; plane < p.n * p.out; ++plane)
    for (int64_t y = 0; y < oh; ++y)
#pragma GCC unroll 32
      for (int v = 0; v < V; ++v)
        _mm512_mask_storeu_ps(routed + (plane * oh + y) * ow + v * kLanes, lanesOf(ow - v * kLanes),
                              rows.at(plane, y, v));
}

// src [N, 1, H, W], the output gradient [N, Out, OH, OW] (rows) -> partial [chunks, Out x K x K +
// Out]: per chunk the lane sums of each tap's products and of the gradient, in double
template <int V, int K, bool kPooled>
void weightGradients(const SinglePlanePass& p, const float* src, const GradientRows<kPooled>& rows,
                     double* partial) {
  const int64_t oh = p.oh(), chunks = singlePlaneChunks(p);
  const int64_t perChunk = (p.n + chunks - 1) / chunks, width = p.out * K * K + p.out;
  const BorderedPlane b = inputPlane<V>(p);
#pragma omp parallel for schedule(static)
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    alignas(64) float plane[kSinglePlaneMaxBuffer];
    alignas(64) float lanes[kSinglePlaneMaxBuffer];  // [Out, K x K + 1, 16]: the chunk's lane sums
    zero(lanes, p.out * (K * K + 1) * kLanes);
    for (int64_t image = chunk * perChunk; image < smaller(p.n, (chunk + 1) * perChunk); ++image) {
      copyBordered(src + image * p.h * p.w, p.h, p.w, b, plane);
      for (int64_t oc = 0; oc < p.out; ++oc) {
        __m512 sums[K * K + 1];  // one per tap, then the bias's
#pragma GCC unroll 32
        for (int t = 0; t <= K * K; ++t) sums[t] = _mm512_setzero_ps();
        for (int64_t y = 0; y < oh; ++y) {
          const float* in = plane + y * b.stride;
#pragma GCC unroll 32
          for (int v = 0; v < V; ++v) {
            const __m512 grad = rows.at(image * p.out + oc, y, v);
            sums[K * K] = _mm512_add_ps(sums[K * K], grad);
#pragma GCC unroll 32
            for (int ky = 0; ky < K; ++ky)
#pragma GCC unroll 32
              for (int kx = 0; kx < K; ++kx)
                sums[ky * K + kx] = _mm512_fmadd_ps(
                    grad, _mm512_loadu_ps(in + ky * b.stride + kx + v * kLanes), sums[ky * K + kx]);
          }
        }
        float* chunkSums = lanes + oc * (K * K + 1) * kLanes;
#pragma GCC unroll 32
        for (int t = 0; t <= K * K; ++t)
          _mm512_store_ps(chunkSums + t * kLanes, _mm512_add_ps(_mm512_load_ps(chunkSums + t * kLanes), sums[t]));
      }
    }
    double* out = partial + chunk * width;
    for (int64_t oc = 0; oc < p.out; ++oc) {
      const float* chunkSums = lanes + oc * (K * K + 1) * kLanes;
      for (int t = 0; t < K * K; ++t) out[oc * K * K + t] = laneSum(_mm512_load_ps(chunkSums + t * kLanes));
      out[p.out * K * K + oc] = laneSum(_mm512_load_ps(chunkSums + K * K * kLanes));
    }
  }
}

// gradDst [N, Out, OH, OW], weight [Out, 1, k, k] -> gradSrc [N, 1, H, W]; rows of V vectors
template <int V>
void inputGradient(const SinglePlanePass& p, const float* gradDst, const float* weight, float* gradSrc) {
  // the correlation of gradDst, bordered by k - 1 - pH rows and k - 1 - pW columns, with the
  // flipped kernel
  const int64_t oh = p.oh(), ow = p.ow(), k = p.k, top = k - 1 - p.ph, left = k - 1 - p.pw;
  const BorderedPlane b{oh + 2 * top, larger(V * kLanes + k - 1, ow + 2 * left), top, left};
#pragma omp parallel for schedule(static)
  for (int64_t image = 0; image < p.n; ++image) {
    alignas(64) float plane[kSinglePlaneMaxBuffer];
    float* out = gradSrc + image * p.h * p.w;
    zero(out, p.h * p.w);
    for (int64_t oc = 0; oc < p.out; ++oc) {
      copyBordered(gradDst + (image * p.out + oc) * oh * ow, oh, ow, b, plane);
      const float* taps = weight + oc * k * k;
      for (int64_t y = 0; y < p.h; ++y) {
        __m512 row[V];
#pragma GCC unroll 32
        for (int v = 0; v < V; ++v) row[v] = _mm512_maskz_loadu_ps(lanesOf(p.w - v * kLanes), out + y * p.w + v * kLanes);
        for (int64_t ky = 0; ky < k; ++ky)
          for (int64_t kx = 0; kx < k; ++kx) {
            const __m512 tap = _mm512_set1_ps(taps[(k - 1 - ky) * k + (k - 1 - kx)]);
            const float* at = plane + (y + ky) * b.stride + kx;
#pragma GCC unroll 32
            for (int v = 0; v < V; ++v) row[v] = _mm512_fmadd_ps(tap, _mm512_loadu_ps(at + v * kLanes), row[v]);
          }
#pragma GCC unroll 32
        for (int v = 0; v < V; ++v) _mm512_mask_storeu_ps(out + y * p.w + v * kLanes, lanesOf(p.w - v * kLanes), row[v]);
      }
    }
  }
}

// run<V>() for the vectors V that hold `pixels`.
template <class Run>
void withVectors(int64_t pixels, Run run) {
  if (pixels <= 16) return run.template operator()<1>();
  if (pixels <= 32) return run.template operator()<2>();
  if (pixels <= 48) return run.template operator()<3>();
  run.template operator()<4>();
}

// run<V, K>() for the row's vectors and the kernel (3 or 5; singlePlaneFits checked it).
template <class Run>
void withShape(const SinglePlanePass& p, Run run) {
  withVectors(p.ow(), [&]<int V>() {
    if (p.k == 3) return run.template operator()<V, 3>();
    run.template operator()<V, 5>();
  });
}

}  // namespace

void singlePlaneForwardAvx512(const SinglePlanePass& p, const float* src, const float* weight,
                              const float* bias, bool relu, float* dst, uint8_t* selected) {
  withShape(p, [&]<int V, int K>() {
    forwardImages<V, K, singlePlaneGroup(V)>(p, src, weight, bias, relu, dst, selected);
  });
}

void singlePlaneRouteAvx512(const SinglePlanePass& p, const float* pooledGrad,
                            const uint8_t* selected, float* routed) {
  withVectors(p.ow(), [&]<int V>() {
    routeImages<V>(p, GradientRows<true>{pooledGrad, selected, p.oh(), p.ow()}, routed);
  });
}

void singlePlaneWeightGradientsAvx512(const SinglePlanePass& p, const float* src,
                                      const float* gradDst, const uint8_t* selected, double* partial) {
  withShape(p, [&]<int V, int K>() {
    if (p.pooled)
      weightGradients<V, K>(p, src, GradientRows<true>{gradDst, selected, p.oh(), p.ow()}, partial);
    else
      weightGradients<V, K>(p, src, GradientRows<false>{gradDst, nullptr, p.oh(), p.ow()}, partial);
  });
}

void singlePlaneInputGradientAvx512(const SinglePlanePass& p, const float* gradDst,
                                    const float* weight, float* gradSrc) {
  withVectors(p.w, [&]<int V>() { inputGradient<V>(p, gradDst, weight, gradSrc); });
}

}  // namespace shoal::backend::cpu
