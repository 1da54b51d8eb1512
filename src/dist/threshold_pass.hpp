// One pass of threshold encoding over a gradient range: adds into the residual (and velocity) and writes the codes of what reaches the threshold.
#pragma once
#include <cstddef>
#include <cstdint>

namespace shoal::dist {

// The ranges of one pass, each of `n` elements at the same position of the flat gradient.
struct ThresholdPass {
  const float* grads;  // g, or nullptr to encode the residual as it is
  float* cleared;      // the elements of g again, set to 0 once read; nullptr to leave g
  float* velocity;     // u = momentum u + scale g per element, or nullptr without momentum
  float* residual;     // r += u (with momentum) or scale g
  size_t n;
  float momentum;
  float scale;
  float threshold;  // t > 0: codes for each r reaching it (when the pass has an output)
};

// What a call did: elements [begin, done) added (and encoded), `codes` written, the sum of g - g
// over them (0 while every gradient was finite).
struct ThresholdPassProgress {
  size_t done;
  size_t codes;
  float nonFinite;
};

// Runs the pass over elements [begin, n) of `p`, in blocks of 16 (one AVX-512 register), until
// all are done or `out` has no room for another block's worst case (16 x
// ThresholdEncoder::kMaxQuanta codes; a shorter last block needs only its own); with `out`
// nullptr it only adds. Element i reaching the threshold with residual r holding k whole
// thresholds writes min(k, kMaxQuanta) codes, each i + 1 for r > 0 and -(i + 1) otherwise, and
// loses sign(r) x that many thresholds. The same bits on every instruction set:
// no fused multiply-adds, the same order of operations per element.
ThresholdPassProgress runThresholdPass(const ThresholdPass& p, size_t begin, int32_t* out, size_t room);

// The pass's two builds, which runThresholdPass chooses between: the baseline instruction set,
// and AVX-512 (threshold_pass_avx512.cpp; only for CPUs with AVX-512F).
ThresholdPassProgress runThresholdPassBaseline(const ThresholdPass& p, size_t begin, int32_t* out, size_t room);
ThresholdPassProgress runThresholdPassAvx512(const ThresholdPass& p, size_t begin, int32_t* out, size_t room);

}  // namespace shoal::dist
