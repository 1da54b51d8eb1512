// Threshold encoding with error feedback (DL4J's encoded gradients): residual bookkeeping and the adaptive threshold.
#include "shoal/dist/threshold_encoder.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <string>

#include "shoal/error.hpp"

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
  addStretch(grads.data(), offset, 0, grads.size(), scale);
}

float ThresholdEncoder::addStretch(const float* g, int64_t offset, size_t begin, size_t end, float scale) {
  float* r = residual_.data() + offset;
  const float m = momentum_;
  float largest = 0.0f, nonFinite = 0.0f;
  if (!velocity_.empty()) {
    float* u = velocity_.data() + offset;
#pragma omp simd reduction(max : largest) reduction(+ : nonFinite)
    for (size_t i = begin; i < end; ++i) {
      nonFinite += g[i] - g[i];
      u[i] = m * u[i] + scale * g[i];
      r[i] += u[i];
      largest = std::max(largest, std::fabs(r[i]));
    }
  } else {
#pragma omp simd reduction(max : largest) reduction(+ : nonFinite)
    for (size_t i = begin; i < end; ++i) {
      nonFinite += g[i] - g[i];
      r[i] += scale * g[i];
      largest = std::max(largest, std::fabs(r[i]));
    }
  }
  nonFinite_ += nonFinite;
  return largest;
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
  float* r = residual_.data() + offset;
  for (int64_t i = 0; i < length; ++i)
    if (std::fabs(r[i]) >= threshold_) encodeElement(r[i], static_cast<int32_t>(i + 1), codes);
}

template <class AfterAdd>
void ThresholdEncoder::addEncodeStretches(const float* g, int64_t offset, size_t n, std::vector<int32_t>& codes,
                                          float scale, AfterAdd afterAdd) {
  constexpr size_t kStretch = 16;
  float* r = residual_.data() + offset;
  const float t = threshold_;
  for (size_t begin = 0; begin < n; begin += kStretch) {
    const size_t end = std::min(n, begin + kStretch);
    const float largest = addStretch(g, offset, begin, end, scale);
    afterAdd(begin, end);
    if (largest < t) continue;
    for (size_t i = begin; i < end; ++i)
      if (std::fabs(r[i]) >= t) encodeElement(r[i], static_cast<int32_t>(i + 1), codes);
  }
}

void ThresholdEncoder::addAndEncode(std::span<const float> grads, int64_t offset, std::vector<int32_t>& codes,
                                    float scale) {
  addEncodeStretches(grads.data(), offset, grads.size(), codes, scale, [](size_t, size_t) {});
}

void ThresholdEncoder::addEncodeAndRestart(std::span<float> grads, int64_t offset, std::vector<int32_t>& codes,
                                           float scale) {
  float* g = grads.data();
  addEncodeStretches(g, offset, grads.size(), codes, scale, [g](size_t begin, size_t end) {
    std::fill(g + begin, g + end, 0.0f);
  });
}

void ThresholdEncoder::encodeElement(float& r, int32_t code, std::vector<int32_t>& codes) const {
  const float t = threshold_;
  const int quanta = static_cast<int>(std::min(static_cast<float>(kMaxQuanta), std::fabs(r) / t));
  const int32_t signedCode = r > 0 ? code : -code;
  for (int q = 0; q < quanta; ++q) codes.push_back(signedCode);
  r -= r > 0 ? static_cast<float>(quanta) * t : -static_cast<float>(quanta) * t;
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
