// Threshold encoding's pass: its baseline and AVX-512 builds give the bits of a plain element-by-element loop, over whole blocks, tails and outputs with little room.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "backend/cpu/cpu_features.hpp"
#include "dist/threshold_pass.hpp"
#include "shoal/dist/threshold_encoder.hpp"

namespace {

using shoal::dist::ThresholdPass;
using shoal::dist::ThresholdPassProgress;
using PassBuild = ThresholdPassProgress (*)(const ThresholdPass&, size_t, int32_t*, size_t);

constexpr int kMaxQuanta = shoal::dist::ThresholdEncoder::kMaxQuanta;

struct State {
  std::vector<float> g, u, r;
  std::vector<int32_t> codes;
  float nonFinite = 0;
};

struct Options {
  bool momentum, add, clear;
};

constexpr float kMomentum = 0.9f, kScale = 0.5f, kThreshold = 0.7f;

// The pass as defined, one element at a time.
State plainLoop(State s, Options o) {
  for (size_t i = 0; i < s.r.size(); ++i) {
    if (o.add) {
      const float g = s.g[i];
      if (o.clear) s.g[i] = 0.0f;
      s.nonFinite += g - g;
      if (o.momentum) {
        s.u[i] = kMomentum * s.u[i] + kScale * g;
        s.r[i] += s.u[i];
      } else {
        s.r[i] += kScale * g;
      }
    }
    if (std::fabs(s.r[i]) >= kThreshold) {
      const int quanta = static_cast<int>(std::min<float>(kMaxQuanta, std::fabs(s.r[i]) / kThreshold));
      for (int q = 0; q < quanta; ++q) s.codes.push_back(s.r[i] > 0 ? static_cast<int32_t>(i + 1) : -static_cast<int32_t>(i + 1));
      s.r[i] -= s.r[i] > 0 ? static_cast<float>(quanta) * kThreshold : -static_cast<float>(quanta) * kThreshold;
    }
  }
  return s;
}

// The pass through `build`, called again as long as it stops for lack of room (`room` codes a call).
State throughBuild(PassBuild build, State s, Options o, size_t room) {
  const ThresholdPass pass{.grads = o.add ? s.g.data() : nullptr, .cleared = o.clear ? s.g.data() : nullptr,
                           .velocity = o.momentum ? s.u.data() : nullptr, .residual = s.r.data(),
                           .n = s.r.size(), .momentum = kMomentum, .scale = kScale, .threshold = kThreshold};
  size_t done = 0;
  int calls = 0;
  do {
    std::vector<int32_t> out(room);
    const ThresholdPassProgress progress = build(pass, done, out.data(), room);
    EXPECT_LE(progress.codes, room);
    s.codes.insert(s.codes.end(), out.begin(), out.begin() + static_cast<std::ptrdiff_t>(progress.codes));
    s.nonFinite += progress.nonFinite;
    EXPECT_TRUE(progress.done > done || s.r.empty()) << "no progress from element " << done;
    done = progress.done;
    ++calls;
  } while (done < s.r.size() && calls < 100000);
  return s;
}

// n elements: gradients from N(0, 1), some 20 thresholds large (more than kMaxQuanta codes), a
// residual and velocity already under way, and optionally a NaN gradient.
State start(size_t n, bool withNaN) {
  std::mt19937 gen(static_cast<unsigned>(n) + 7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  State s;
  for (size_t i = 0; i < n; ++i) {
    s.g.push_back(i % 37 == 5 ? 20 * kThreshold / kScale : normal(gen));
    s.u.push_back(0.3f * normal(gen));
    s.r.push_back(0.5f * normal(gen));
  }
  if (withNaN && n > 3) s.g[n - 3] = std::numeric_limits<float>::quiet_NaN();
  return s;
}

// The floats' bit patterns.
std::vector<uint32_t> bits(const std::vector<float>& values) {
  std::vector<uint32_t> out(values.size());
  std::transform(values.begin(), values.end(), out.begin(), [](float x) { return std::bit_cast<uint32_t>(x); });
  return out;
}

void expectSameBits(const State& a, const State& b, const std::string& what) {
  ASSERT_EQ(a.codes, b.codes) << what;
  for (auto [x, y] : {std::pair{&a.g, &b.g}, std::pair{&a.u, &b.u}, std::pair{&a.r, &b.r}})
    EXPECT_EQ(bits(*x), bits(*y)) << what;
  EXPECT_TRUE(std::memcmp(&a.nonFinite, &b.nonFinite, sizeof(float)) == 0 ||
              (std::isnan(a.nonFinite) && std::isnan(b.nonFinite)))
      << what << ": " << a.nonFinite << " against " << b.nonFinite;
}

void expectBuildMatchesThePlainLoop(PassBuild build) {
  for (size_t n : {0, 5, 16, 1000, 1003})
    for (bool momentum : {false, true})
      for (bool add : {false, true})
        for (bool clear : {false, true}) {
          if (clear && !add) continue;
          const Options o{momentum, add, clear};
          for (bool withNaN : {false, true})
            for (size_t room : {n * kMaxQuanta + 1, size_t{16 * kMaxQuanta}, size_t{16 * kMaxQuanta + 5}}) {
              const State s = start(n, withNaN);
              const std::string what = "n " + std::to_string(n) + " momentum " + std::to_string(momentum) +
                                       " add " + std::to_string(add) + " clear " + std::to_string(clear) +
                                       " NaN " + std::to_string(withNaN) + " room " + std::to_string(room);
              const State expected = plainLoop(s, o);
              expectSameBits(throughBuild(build, s, o, room), expected, what);
              if (n >= 1000) {  // many codes, and element 5's capped at kMaxQuanta
                EXPECT_GT(expected.codes.size(), n / 20) << what;
                if (add) {
                  EXPECT_EQ(std::count(expected.codes.begin(), expected.codes.end(), 6), kMaxQuanta) << what;
                }
              }
            }
        }
}

TEST(ThresholdPass, BaselineBuildMatchesThePlainLoop) {
  expectBuildMatchesThePlainLoop(shoal::dist::runThresholdPassBaseline);
}

TEST(ThresholdPass, Avx512BuildMatchesThePlainLoop) {
  if (!shoal::backend::cpu::hasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512F";
  expectBuildMatchesThePlainLoop(shoal::dist::runThresholdPassAvx512);
}

TEST(ThresholdPass, NaNGradientIsNotedAndSendsNothing) {
  State s = start(64, true);
  const State after = throughBuild(shoal::dist::runThresholdPass, s, {true, true, false}, 64 * kMaxQuanta);
  EXPECT_TRUE(std::isnan(after.nonFinite));
  EXPECT_TRUE(std::isnan(after.r[61]));
  for (int32_t code : after.codes) EXPECT_NE(std::abs(code), 62);
}

}  // namespace
