// Passes over long float arrays in host memory (flat parameter and gradient buffers) on every core, vectorised.
#pragma once
#include <cstdint>

namespace shoal::backend {

// True when none of the `count` values is infinite or NaN; one read of the array.
bool allFinite(const float* values, int64_t count);
// values[0, count) = 0.
void zero(float* values, int64_t count);

}  // namespace shoal::backend
