// The AVX512-BF16 builds of the bf16 conversion, addition and ReLU-mask passes (compiled with -mavx512f -mavx512bw -mavx512vl -mavx512bf16).
#include "bf16_kernels.hpp"

#include <immintrin.h>

namespace shoal::backend::cpu {

// dst [count] = bf16(src x scale): one f32 product per element (x 1 is exact), rounded by
// vcvtneps2bf16 (nearest even, NaN stays NaN)
void roundToBf16Avx512(const float* src, uint16_t* dst, int64_t count, float scale) {
  const __m512 factor = _mm512_set1_ps(scale);
  int64_t i = 0;
  for (; i + 16 <= count; i += 16) {
    __m256bh packed = _mm512_cvtneps_pbh(_mm512_mul_ps(_mm512_loadu_ps(src + i), factor));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), reinterpret_cast<__m256i&>(packed));
  }
  if (i < count) {
    const __mmask16 tail = static_cast<__mmask16>((1u << (count - i)) - 1);
    __m256bh packed = _mm512_cvtneps_pbh(_mm512_mul_ps(_mm512_maskz_loadu_ps(tail, src + i), factor));
    _mm256_mask_storeu_epi16(dst + i, tail, reinterpret_cast<__m256i&>(packed));
  }
}

// sum [count] = bf16(f32(a) + f32(b)): 16 elements widened (bits << 16), added, rounded
void addBf16Avx512(const uint16_t* a, const uint16_t* b, uint16_t* sum, int64_t count) {
  for (int64_t i = 0; i < count; i += 16) {
    const __mmask16 live = count - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (count - i)) - 1);
    const __m512 x = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(live, a + i)), 16));
    const __m512 y = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(live, b + i)), 16));
    __m256bh packed = _mm512_cvtneps_pbh(_mm512_add_ps(x, y));
    _mm256_mask_storeu_epi16(sum + i, live, reinterpret_cast<__m256i&>(packed));
  }
}

// masked [count] = grad where output > 0, else 0; all bf16 bits. A bf16 is positive exactly when
// its bits, read as a signed 16-bit integer, are (NaN aside).
void reluMaskBf16Avx512(const uint16_t* output, const uint16_t* grad, uint16_t* masked,
                        int64_t count) {
  const __m512i zero = _mm512_setzero_si512();
  int64_t i = 0;
  for (; i + 32 <= count; i += 32) {
    __mmask32 positive = _mm512_cmpgt_epi16_mask(_mm512_loadu_si512(output + i), zero);
    _mm512_storeu_si512(masked + i, _mm512_maskz_mov_epi16(positive, _mm512_loadu_si512(grad + i)));
  }
  if (i < count) {
    const __mmask32 tail = static_cast<__mmask32>((1ull << (count - i)) - 1);
    __mmask32 positive = _mm512_mask_cmpgt_epi16_mask(tail, _mm512_maskz_loadu_epi16(tail, output + i), zero);
    _mm512_mask_storeu_epi16(masked + i, tail, _mm512_maskz_loadu_epi16(positive, grad + i));
  }
}

}  // namespace shoal::backend::cpu
