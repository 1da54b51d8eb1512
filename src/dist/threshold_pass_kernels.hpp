// The threshold pass's loop, built twice: for the baseline instruction set and for AVX-512.
// threshold_pass.cpp includes this for the baseline build and picks the AVX-512 one
// (threshold_pass_avx512.cpp, compiled with -mavx512f -ffp-contract=off) when the CPU has it.
// Everything here has internal linkage, so that each build keeps its own instructions.
#pragma once
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "shoal/dist/threshold_encoder.hpp"
#include "threshold_pass.hpp"

// The baseline build passes 64-byte vectors only between inlined functions of this file; GCC
// warns about their ABI at the end of the including file, so the warning stays off there.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace shoal::dist {
namespace {

constexpr size_t kLanes = 16;
constexpr int kMaxQuanta = ThresholdEncoder::kMaxQuanta;
using Lanes = float __attribute__((vector_size(64)));

Lanes load(const float* p) {
  Lanes v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

void store(float* p, Lanes v) { std::memcpy(p, &v, sizeof v); }

Lanes splat(float x) { return Lanes{} + x; }

// Bit k set where lane k of |r| is at least t (false for NaN, as the scalar comparison).
unsigned reachingLanes(Lanes r, float t) {
#ifdef __AVX512F__
  return _mm512_cmp_ps_mask(_mm512_abs_ps(__m512(r)), _mm512_set1_ps(t), _CMP_GE_OQ);
#else
  alignas(64) float a[kLanes];
  store(a, r);
  unsigned mask = 0;
  for (size_t q = 0; q < kLanes; q += 4) {
    const __m128 part = _mm_andnot_ps(_mm_set1_ps(-0.0f), _mm_loadu_ps(a + q));
    mask |= static_cast<unsigned>(_mm_movemask_ps(_mm_cmpge_ps(part, _mm_set1_ps(t)))) << q;
  }
  return mask;
#endif
}

// Writes residual element `r`'s codes (it reaches t) as `code` (i + 1) with r's sign, takes them
// out of r; returns how many.
size_t quantize(float& r, float t, int32_t code, int32_t* out) {
  const int quanta = static_cast<int>(std::min(static_cast<float>(kMaxQuanta), std::fabs(r) / t));
  const int32_t signedCode = r > 0 ? code : -code;
  for (int q = 0; q < quanta; ++q) out[q] = signedCode;
  r -= r > 0 ? static_cast<float>(quanta) * t : -static_cast<float>(quanta) * t;
  return static_cast<size_t>(quanta);
}

// One element of the pass (the tail, fewer than kLanes): the same operations as a block's lanes.
template <bool Momentum>
float addElement(const ThresholdPass& p, size_t i) {
  if (!p.grads) return 0.0f;
  const float g = p.grads[i];
  if (p.cleared) p.cleared[i] = 0.0f;
  if constexpr (Momentum) {
    p.velocity[i] = p.momentum * p.velocity[i] + p.scale * g;
    p.residual[i] += p.velocity[i];
  } else {
    p.residual[i] += p.scale * g;
  }
  return g - g;
}

// g, u, r: [n]; blocks of kLanes: u = m u + s g, r += u (or r += s g; nothing without g), then
// each lane whose |r| reaches t is quantized (at a density of 1%, most blocks have none).
template <bool Momentum>
ThresholdPassProgress thresholdPass(const ThresholdPass& p, size_t begin, int32_t* out, size_t room) {
  const bool encode = out != nullptr;
  const size_t blockRoom = kLanes * kMaxQuanta;
  const Lanes m = splat(p.momentum), s = splat(p.scale);
  Lanes nonFinite{};
  size_t i = begin, written = 0;
  for (; i + kLanes <= p.n && (!encode || room - written >= blockRoom); i += kLanes) {
    Lanes r = load(p.residual + i);
    if (p.grads) {
      const Lanes g = load(p.grads + i);
      if (p.cleared) store(p.cleared + i, Lanes{});
      nonFinite += g - g;
      if constexpr (Momentum) {
        const Lanes u = m * load(p.velocity + i) + s * g;
        store(p.velocity + i, u);
        r += u;
      } else {
        r += s * g;
      }
      store(p.residual + i, r);
    }
    if (!encode) continue;
    for (unsigned hit = reachingLanes(r, p.threshold); hit != 0; hit &= hit - 1) {
      const size_t k = i + static_cast<size_t>(__builtin_ctz(hit));
      written += quantize(p.residual[k], p.threshold, static_cast<int32_t>(k + 1), out + written);
    }
  }
  float nonFiniteSum = 0.0f;
  if (i + kLanes > p.n && (!encode || room - written >= (p.n - i) * kMaxQuanta))
    for (; i < p.n; ++i) {
      nonFiniteSum += addElement<Momentum>(p, i);
      if (encode && std::fabs(p.residual[i]) >= p.threshold)
        written += quantize(p.residual[i], p.threshold, static_cast<int32_t>(i + 1), out + written);
    }
  for (size_t k = 0; k < kLanes; ++k) nonFiniteSum += nonFinite[k];
  return {i, written, nonFiniteSum};
}

ThresholdPassProgress anyThresholdPass(const ThresholdPass& p, size_t begin, int32_t* out, size_t room) {
  return p.velocity ? thresholdPass<true>(p, begin, out, room) : thresholdPass<false>(p, begin, out, room);
}

}  // namespace
}  // namespace shoal::dist
