// Flat-buffer passes: OpenMP threads over SIMD lanes, only for arrays long enough to pay for a team.
#include "shoal/backend/vector_kernels.hpp"

#include <algorithm>
#include <cstring>

#include "bf16_kernels.hpp"
#include "shoal/error.hpp"

namespace shoal::backend {
namespace {

constexpr int64_t kParallelFrom = 1 << 16;  // shorter arrays stay on the calling thread

// The value of element i of an f32 or bf16 array as a float.
inline float valueAt(const float* a, int64_t i) { return a[i]; }
inline float valueAt(const bfloat16* a, int64_t i) { return static_cast<float>(a[i]); }

template <class Out, class Grad>
void reluMask(const Out* out, const Grad* grad, bfloat16* masked, int64_t count) {
#pragma omp parallel for simd if (count >= kParallelFrom)
  for (int64_t i = 0; i < count; ++i)
    masked[i] = bfloat16(valueAt(out, i) > 0.0f ? valueAt(grad, i) : 0.0f);
}

void expectSameCount(const Tensor& a, const Tensor& b, const char* what) {
  if (a.numel() != b.numel())
    throw ShapeError(std::string(what) + ": " + a.shape().str() + " and " + b.shape().str() +
                     " differ in element count");
}

}  // namespace

bool allFinite(const float* values, int64_t count) {
  // x - x is 0 for a finite x and NaN for an infinite or NaN one.
  float acc = 0.0f;
#pragma omp parallel for simd reduction(+ : acc) if (count >= kParallelFrom)
  for (int64_t i = 0; i < count; ++i) acc += values[i] - values[i];
  return acc == 0.0f;
}

void zero(float* values, int64_t count) {
#pragma omp parallel for simd if (count >= kParallelFrom)
  for (int64_t i = 0; i < count; ++i) values[i] = 0.0f;
}

void add(const float* a, const float* b, float* sum, int64_t count) {
#pragma omp parallel for simd if (count >= kParallelFrom)
  for (int64_t i = 0; i < count; ++i) sum[i] = a[i] + b[i];
}

void roundToBf16(const float* src, bfloat16* dst, int64_t count, float scale) {
  static const bool avx512 = cpu::hasAvx512Bf16();
  if (avx512) return cpu::roundToBf16Avx512(src, reinterpret_cast<uint16_t*>(dst), count, scale);
  for (int64_t i = 0; i < count; ++i) dst[i] = bfloat16(src[i] * scale);  // x 1 is exact
}

void addBf16(const bfloat16* a, const bfloat16* b, bfloat16* sum, int64_t count) {
  static const bool avx512 = cpu::hasAvx512Bf16();
  if (avx512)
    return cpu::addBf16Avx512(reinterpret_cast<const uint16_t*>(a), reinterpret_cast<const uint16_t*>(b),
                              reinterpret_cast<uint16_t*>(sum), count);
  for (int64_t i = 0; i < count; ++i) sum[i] = bfloat16(static_cast<float>(a[i]) + static_cast<float>(b[i]));
}

void toBf16(const Tensor& src, Tensor& dst) {
  expectSameCount(src, dst, "toBf16");
  if (src.dtype() == DType::BF16) return dst.copyFrom(src);
  const float* from = src.data();
  bfloat16* to = dst.data<bfloat16>();
  const int64_t count = src.numel();
  constexpr int64_t kChunk = 1 << 14;
  const int64_t chunks = (count + kChunk - 1) / kChunk;
#pragma omp parallel for if (count >= kParallelFrom)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t start = c * kChunk;
    roundToBf16(from + start, to + start, std::min(kChunk, count - start));
  }
}

void reluMaskToBf16(const Tensor& output, const Tensor& grad, Tensor& masked) {
  expectSameCount(output, grad, "reluMaskToBf16");
  expectSameCount(output, masked, "reluMaskToBf16");
  bfloat16* m = masked.data<bfloat16>();
  const int64_t n = output.numel();
  const bool outBf16 = output.dtype() == DType::BF16, gradBf16 = grad.dtype() == DType::BF16;
  static const bool avx512 = cpu::hasAvx512Bf16();
  if (outBf16 && gradBf16 && avx512)
    return cpu::reluMaskBf16Avx512(reinterpret_cast<const uint16_t*>(output.data<bfloat16>()),
                                   reinterpret_cast<const uint16_t*>(grad.data<bfloat16>()),
                                   reinterpret_cast<uint16_t*>(m), n);
  if (outBf16 && gradBf16) return reluMask(output.data<bfloat16>(), grad.data<bfloat16>(), m, n);
  if (outBf16) return reluMask(output.data<bfloat16>(), grad.data(), m, n);
  if (gradBf16) return reluMask(output.data(), grad.data<bfloat16>(), m, n);
  reluMask(output.data(), grad.data(), m, n);
}

namespace cpu {

bool hasAvx512Bf16() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512bf16");
}

}  // namespace cpu

}  // namespace shoal::backend
