// Flat-buffer passes: OpenMP threads over SIMD lanes, only for arrays long enough to pay for a team.
#include "shoal/backend/vector_kernels.hpp"

#include <cstring>

namespace shoal::backend {
namespace {

constexpr int64_t kParallelFrom = 1 << 16;  // shorter arrays stay on the calling thread

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

}  // namespace shoal::backend
