// ThresholdEncoder's add-and-encode pass over a range: what it reads and writes, and its AVX-512 build.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "shoal/dist/threshold_encoder.hpp"

namespace shoal::dist::detail {

// The range of one add-and-encode pass: n elements of the residual r, the gradient g, the
// velocity u (null without momentum). Once added, the gradient's storage `restart` (null: g is
// kept) starts over for the sum decoded into it: -m last and last = 0 (momentum correction's
// -m G_{t-1}), or 0 when `last` is null.
struct ThresholdRange {
  float* r;
  const float* g;
  float* u;
  float* restart;
  float* last;
  size_t n;
  float momentum;
  float scale;
  float threshold;
};

// How many whole thresholds t an element sends for its residual r (|r| >= t): at most kMaxQuanta.
inline int quantaOf(float r, float t) {
  constexpr float most = static_cast<float>(ThresholdEncoder::kMaxQuanta);
  const float held = (r < 0 ? -r : r) / t;
  return static_cast<int>(held < most ? held : most);
}

// The residual r left once `quanta` thresholds t of its sign have been sent.
inline float afterSending(float r, int quanta, float t) {
  return r - (r > 0 ? static_cast<float>(quanta) * t : -static_cast<float>(quanta) * t);
}

// The pass in AVX-512F, 16 elements at a time (only on processors that have it): with u,
// u = m u + scale g and r += u, else r += scale g; then g restarts; then each element with
// |r| >= t appends quantaOf(r, t) codes +-(i + 1) to `codes` (in element order) and loses
// sign(r) t for each. The same bits as the scalar pass (no fused multiply-adds in either).
void addEncodeRangeAvx512(const ThresholdRange& range, std::vector<int32_t>& codes);

}  // namespace shoal::dist::detail
