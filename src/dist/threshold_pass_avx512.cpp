// The AVX-512 build of ThresholdEncoder's add-and-encode pass: 16 elements per step, codes written with a compressing store.
#include <immintrin.h>

#include <algorithm>

#include "threshold_pass.hpp"

namespace shoal::dist::detail {

namespace {

// Room for at least `more` codes after the first `used` of `codes` (grown geometrically, so that
// a pass's growth costs a few zeroing passes over what it writes); where they go.
int32_t* roomFor(std::vector<int32_t>& codes, size_t used, size_t more) {
  if (codes.size() < used + more) codes.resize(std::max(used + more, 2 * codes.size()));
  return codes.data() + used;
}

}  // namespace

void addEncodeRangeAvx512(const ThresholdRange& range, std::vector<int32_t>& codes) {
  const __m512 m = _mm512_set1_ps(range.momentum), minusM = _mm512_set1_ps(-range.momentum);
  const __m512 scale = _mm512_set1_ps(range.scale), t = _mm512_set1_ps(range.threshold);
  const __m512 two = _mm512_set1_ps(2.0f), zero = _mm512_setzero_ps();
  const __m512i signBit = _mm512_set1_epi32(static_cast<int32_t>(0x80000000u));
  const __m512i lane = _mm512_setr_epi32(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
  // the range's fields in locals: stores through its pointers could otherwise alias them
  float* const residual = range.r;
  const float* const grad = range.g;
  float* const velocity = range.u;
  float* const restart = range.restart;
  float* const last = range.last;
  const size_t n = range.n;
  const float threshold = range.threshold;
  size_t used = codes.size();
  for (size_t i = 0; i < n; i += 16) {
    // elements [i, i + 16) of r, g, u, last: one 16-lane vector each (the tail masked)
    const __mmask16 live = n - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (n - i)) - 1);
    const __m512 g = _mm512_maskz_loadu_ps(live, grad + i);
    __m512 r = _mm512_maskz_loadu_ps(live, residual + i);
    if (velocity) {
      const __m512 u = _mm512_add_ps(_mm512_mul_ps(m, _mm512_maskz_loadu_ps(live, velocity + i)),
                                     _mm512_mul_ps(scale, g));
      _mm512_mask_storeu_ps(velocity + i, live, u);
      r = _mm512_add_ps(r, u);
    } else {
      r = _mm512_add_ps(r, _mm512_mul_ps(scale, g));
    }
    if (restart && last) {
      _mm512_mask_storeu_ps(restart + i, live,
                            _mm512_mul_ps(minusM, _mm512_maskz_loadu_ps(live, last + i)));
      _mm512_mask_storeu_ps(last + i, live, zero);
    } else if (restart) {
      _mm512_mask_storeu_ps(restart + i, live, zero);
    }
    const __m512 magnitude = _mm512_abs_ps(r);
    const __mmask16 hit = _mm512_mask_cmp_ps_mask(live, magnitude, t, _CMP_GE_OQ);
    if (hit == 0) {
      _mm512_mask_storeu_ps(residual + i, live, r);
      continue;
    }
    if (_mm512_mask_cmp_ps_mask(hit, _mm512_div_ps(magnitude, t), two, _CMP_GE_OQ) != 0) {
      // an element holds two thresholds or more: its lanes in order, each with its quanta
      _mm512_mask_storeu_ps(residual + i, live, r);
      for (int l = 0; l < 16; ++l) {
        if (!(hit >> l & 1)) continue;
        float& x = residual[i + static_cast<size_t>(l)];
        const int quanta = quantaOf(x, threshold);
        const int32_t code = static_cast<int32_t>(i + static_cast<size_t>(l) + 1);
        int32_t* out = roomFor(codes, used, static_cast<size_t>(quanta));
        std::fill(out, out + quanta, x > 0 ? code : -code);
        used += static_cast<size_t>(quanta);
        x = afterSending(x, quanta, threshold);
      }
      continue;
    }
    // every hit holds one threshold: codes +-(i + lane + 1) of the hits, packed; r -= sign(r) t
    const __mmask16 negative = _mm512_mask_cmp_ps_mask(hit, r, zero, _CMP_LT_OQ);
    const __m512i index = _mm512_add_epi32(lane, _mm512_set1_epi32(static_cast<int32_t>(i)));
    const __m512i signedCode = _mm512_mask_sub_epi32(index, negative, _mm512_setzero_si512(), index);
    _mm512_mask_compressstoreu_epi32(roomFor(codes, used, 16), hit, signedCode);
    used += static_cast<size_t>(__builtin_popcount(hit));
    const __m512 signedT = _mm512_castsi512_ps(
        _mm512_or_si512(_mm512_castps_si512(t), _mm512_and_si512(_mm512_castps_si512(r), signBit)));
    _mm512_mask_storeu_ps(residual + i, live, _mm512_mask_sub_ps(r, hit, r, signedT));
  }
  codes.resize(used);
}

}  // namespace shoal::dist::detail
