// Threshold encoding with error feedback (DL4J's encoded gradients): residual bookkeeping and the adaptive threshold.
#include "shoal/dist/threshold_encoder.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <string>

#include "shoal/error.hpp"
#include "threshold_pass.hpp"

namespace shoal::dist {

ThresholdEncoder::ThresholdEncoder(int64_t count, double targetDensity, double momentum)
    : target_(targetDensity), residual_(static_cast<size_t>(count), 0.0f) {
  if (!(targetDensity > 0 && targetDensity <= 1))
    throw ConfigError("dist.threshold_density",
                      "\"dist.threshold_density\" must be in (0, 1], got " +
                          (std::ostringstream() << targetDensity).str());
  if (!(momentum >= 0 && momentum < 1))
    throw ConfigError("optim.momentum", "threshold compression's momentum correction: \"optim.momentum\" "
                                        "must be in [0, 1), got " + std::to_string(momentum));
  if (momentum > 0) {
    momentum_ = static_cast<float>(momentum);
    velocity_.assign(static_cast<size_t>(count), 0.0f);
  }
}

void ThresholdEncoder::restore(std::span<const float> residual, std::span<const float> velocity,
                               float threshold) {
  if (residual.size() != residual_.size() || velocity.size() != velocity_.size())
    throw UsageError("ThresholdEncoder::restore: " + std::to_string(residual.size()) + " residual and " +
                     std::to_string(velocity.size()) + " velocity elements for an encoder of " +
                     std::to_string(residual_.size()) + " and " + std::to_string(velocity_.size()));
  if (!(threshold >= 0)) throw UsageError("ThresholdEncoder::restore: a negative or NaN threshold");
  std::copy(residual.begin(), residual.end(), residual_.begin());
  std::copy(velocity.begin(), velocity.end(), velocity_.begin());
  threshold_ = threshold;
}

void ThresholdEncoder::add(std::span<const float> grads, int64_t offset, float scale) {
  run(grads.data(), nullptr, offset, grads.size(), scale, nullptr);
}

void ThresholdEncoder::run(const float* grads, float* cleared, int64_t offset, size_t n, float scale,
                           std::vector<int32_t>* codes) {
  const ThresholdPass pass{.grads = grads, .cleared = cleared,
                           .velocity = velocity_.empty() ? nullptr : velocity_.data() + offset,
                           .residual = residual_.data() + offset, .n = n, .momentum = momentum_,
                           .scale = scale, .threshold = threshold_};
  // codes are written into room made at the end of `codes`, a few KB at a time
  constexpr size_t kCodeRoom = 4096;
  size_t done = 0;
  do {
    const size_t at = codes ? codes->size() : 0;
    const size_t room = codes ? std::min(kCodeRoom, (n - done) * kMaxQuanta) : 0;
    if (codes) codes->resize(at + room);
    const ThresholdPassProgress progress = runThresholdPass(pass, done, codes ? codes->data() + at : nullptr, room);
    if (codes) codes->resize(at + progress.codes);
    nonFinite_ += progress.nonFinite;
    done = progress.done;
  } while (done < n);
}

float ThresholdEncoder::addAndProposeThreshold(std::span<const float> grads, int64_t offset, float scale) {
  add(grads, offset, scale);
  if (grads.empty()) return 0;
  const float* r = residual_.data() + offset;
  magnitudes_.resize(grads.size());
  for (size_t i = 0; i < grads.size(); ++i) magnitudes_[i] = std::fabs(r[i]);
  // the magnitude that the target fraction of elements reaches
  const size_t sent = std::max<size_t>(1, static_cast<size_t>(target_ * static_cast<double>(grads.size())));
  auto kth = magnitudes_.begin() + static_cast<std::ptrdiff_t>(grads.size() - sent);
  std::nth_element(magnitudes_.begin(), kth, magnitudes_.end());
  // with momentum, the first velocity is the gradient, and a steady gradient's velocity grows
  // to 1 / (1 - m) times it: a threshold for the first velocity sent 4.6 times the target in the
  // first epoch of the MLP (4.6% for 1%), one for the grown velocity 1.5%
  return *kth / (1.0f - momentum_);
}

void ThresholdEncoder::encode(int64_t offset, int64_t length, std::vector<int32_t>& codes) {
  run(nullptr, nullptr, offset, static_cast<size_t>(length), 1.0f, &codes);
}

void ThresholdEncoder::addAndEncode(std::span<const float> grads, int64_t offset, std::vector<int32_t>& codes,
                                    float scale) {
  run(grads.data(), nullptr, offset, grads.size(), scale, &codes);
}

void ThresholdEncoder::addEncodeAndRestart(std::span<float> grads, int64_t offset, std::vector<int32_t>& codes,
                                           float scale) {
  run(grads.data(), grads.data(), offset, grads.size(), scale, &codes);
}

void ThresholdEncoder::decodeAdd(std::span<const int32_t> codes, std::span<float> sums) const {
  const float t = threshold_;
  const int64_t length = static_cast<int64_t>(sums.size());
  for (int32_t code : codes) {
    const int64_t i = std::abs(static_cast<int64_t>(code)) - 1;
    if (i < 0 || i >= length)
      throw Error("threshold decoding: code " + std::to_string(code) + " outside a range of " +
                  std::to_string(sums.size()) + " elements");
    const float sent = code > 0 ? t : -t;
    sums[static_cast<size_t>(i)] += sent;
  }
}

void ThresholdEncoder::adapt(double sentElements, double offeredElements) {
  if (!adaptive_ || offeredElements <= 0) return;
  const double ratio = std::clamp(sentElements / offeredElements / target_, 0.5, 2.0);
  threshold_ = std::max(std::numeric_limits<float>::min(),
                        static_cast<float>(threshold_ * std::pow(ratio, 0.125)));
}

}  // namespace shoal::dist
