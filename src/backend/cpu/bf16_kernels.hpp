// bf16 passes with AVX512-BF16 instructions, used when the processor has them (vector_kernels.cpp dispatches).
#pragma once
#include <cstdint>

namespace shoal::backend::cpu {

// Whether this processor runs the *Avx512 kernels (AVX512F, AVX512BW, AVX512VL, AVX512-BF16).
bool hasAvx512Bf16();
// dst [count] = src x scale (one f32 product; x 1 is exact) rounded to bf16 bits, nearest even.
void roundToBf16Avx512(const float* src, uint16_t* dst, int64_t count, float scale);
// sum [count] = a + b added in f32 and rounded to bf16 bits, nearest even (sum may be a or b).
void addBf16Avx512(const uint16_t* a, const uint16_t* b, uint16_t* sum, int64_t count);
// masked [count] = grad where output > 0, else 0; bf16 bits throughout.
void reluMaskBf16Avx512(const uint16_t* output, const uint16_t* grad, uint16_t* masked, int64_t count);

}  // namespace shoal::backend::cpu
