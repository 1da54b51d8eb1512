// ThresholdEncoder: DL4J's threshold encoding of gradients, with a per-rank residual and a threshold that adapts to a target density.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace shoal::dist {

// Error feedback: every gradient element is added to this rank's residual; each residual element
// whose magnitude reaches the threshold t is sent as (index, sign) codes, each standing for
// sign * t and taken out of the residual; the rest stays and is sent once it has grown (DL4J's
// EncodedGradientsAccumulator). An element holding k whole thresholds sends min(k, kMaxQuanta)
// codes (DL4J sends one): with one, an element whose gradient stays above t per step could move
// by t at most, and its residual kept growing (the MLP with SGD momentum lost 4 points of test
// accuracy that way). So over any number of steps, what was sent plus the residual left is the
// sum of the gradients given.
// The threshold is the same on every rank: chosen on the first step so that the target
// fraction of elements would be sent (agreed between the ranks by the caller), then adapted
// after each step from the density all ranks achieved together: multiplied by
// clamp(achieved / target, 1/2, 2)^(1/8) (a small gain: the density jumps with the threshold
// when many residuals sit just below it), so it rises when too much was sent and falls when
// too little was.
// A code is an int32: +(i + 1) for +t at element i of the range, -(i + 1) for -t.
class ThresholdEncoder {
 public:
  // The most codes one element sends in one step.
  static constexpr int kMaxQuanta = 8;

  // `count` elements (the flat gradient); `targetDensity` in (0, 1]; `momentum` m > 0: what is
  // added into the residual is this rank's velocity u = m u + g instead of the gradient g
  // (momentum correction, see GradientReducer).
  ThresholdEncoder(int64_t count, double targetDensity, double momentum = 0);

  double targetDensity() const { return target_; }
  // 0 until the first step chose one.
  float threshold() const { return threshold_; }
  void setThreshold(float t) { threshold_ = t; }
  // Turns adaptation off (tests of the bookkeeping with a fixed threshold).
  void setAdaptive(bool adaptive) { adaptive_ = adaptive; }

  // Adds `scale` x `grads` (elements [offset, offset + size) of the flat gradient; with
  // momentum, their velocity) into the residual;
  // the magnitude this rank would pick as threshold for the target density over that range,
  // with momentum m divided by 1 - m (what a steady velocity grows to) (the caller agrees on one
  // value between the ranks and calls setThreshold before encode).
  float addAndProposeThreshold(std::span<const float> grads, int64_t offset, float scale = 1.0f);
  // Adds `scale` x `grads` into the residual (when addAndProposeThreshold did not).
  void add(std::span<const float> grads, int64_t offset, float scale = 1.0f);
  // add() then encode() of the same range in one pass over the residual (the same bits as the
  // two calls, with half the memory traffic).
  void addAndEncode(std::span<const float> grads, int64_t offset, std::vector<int32_t>& codes,
                    float scale = 1.0f);
  // addAndEncode, and in the same pass (each block of 16 while it is in cache) `grads` set to 0 for
  // the sum the caller decodes into it (without momentum correction).
  void addEncodeAndRestart(std::span<float> grads, int64_t offset, std::vector<int32_t>& codes, float scale);
  // Whether every gradient added since the last resetFiniteCheck() was finite (noted in the
  // adding pass).
  bool addedFinite() const { return nonFinite_ == 0.0f; }
  void resetFiniteCheck() { nonFinite_ = 0.0f; }
  // Codes of the residual elements [offset, offset + length) at or above the threshold,
  // appended to `codes`; such an element holding k thresholds gives min(k, kMaxQuanta) equal
  // codes and loses sign * threshold for each.
  void encode(int64_t offset, int64_t length, std::vector<int32_t>& codes);
  // Adds sign * threshold into `sums` for each code; Error for a code outside it.
  void decodeAdd(std::span<const int32_t> codes, std::span<float> sums) const;
  // After a step in which all ranks together sent `sentElements` of `offeredElements`:
  // adapts the threshold toward the target density.
  void adapt(double sentElements, double offeredElements);

  std::span<const float> residual() const { return residual_; }
  // With momentum: the velocity u per element; empty otherwise.
  std::span<const float> velocity() const { return velocity_; }
  double momentum() const { return momentum_; }
  // Puts back a saved residual, velocity (as many elements as the residual with momentum, none
  // without) and threshold (a resumed run continues where the saved one was); UsageError when
  // the sizes do not fit this encoder.
  void restore(std::span<const float> residual, std::span<const float> velocity, float threshold);

 private:
  // One pass over elements [offset, offset + n): adds `grads` (nullptr: nothing) times `scale`
  // into the residual (with momentum through the velocity), zeroing `cleared` (the same
  // elements of the gradient, or nullptr) as it reads them; notes non-finite gradients; and
  // with `codes`, encodes at the current threshold and appends the codes there.
  void run(const float* grads, float* cleared, int64_t offset, size_t n, float scale, std::vector<int32_t>* codes);

  double target_;
  float threshold_ = 0;
  bool adaptive_ = true;
  std::vector<float> residual_;
  float momentum_ = 0;
  std::vector<float> velocity_;  // with momentum: u per element; empty otherwise
  float nonFinite_ = 0;  // sum of g - g over the gradients added: 0 while all were finite
  std::vector<float> magnitudes_;  // scratch of the first step's threshold choice
};

}  // namespace shoal::dist
