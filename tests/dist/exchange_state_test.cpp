// Threshold compression's state for checkpoints on 2 ranks: each rank gets its own residual and velocity back, the gather returns what was restored, and what does not fit is dropped with a note naming why.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "shoal/dist/exchange_state.hpp"
#include "shoal/error.hpp"
#include "two_ranks.hpp"

namespace shoal::dist {
namespace {

using shoal::testing::world;

constexpr int64_t kElements = 37;

std::vector<float> values(int64_t salt) {
  std::vector<float> v(kElements);
  for (int64_t i = 0; i < kElements; ++i) v[i] = 0.125f * static_cast<float>((i * 7 + salt * 13) % 29) - 1.5f;
  return v;
}

// What a 2-rank job with momentum 0.9 saved: distinct values for every rank and tensor.
ExchangeState saved() {
  ExchangeState s;
  s.description = {{"compression", "threshold"}, {"ranks", 2}, {"elements", kElements}, {"momentum", 0.9f},
                   {"threshold", 0.375f}};
  for (int r = 0; r < 2; ++r) {
    s.tensors.emplace_back("rank" + std::to_string(r) + ".residual", Tensor::fromVector({kElements}, values(2 + 2 * r)));
    s.tensors.emplace_back("rank" + std::to_string(r) + ".velocity", Tensor::fromVector({kElements}, values(3 + 2 * r)));
  }
  return s;
}

std::vector<float> asVector(std::span<const float> s) { return {s.begin(), s.end()}; }

TEST(ExchangeState, EachRankGetsItsOwnStateBackAndTheGatherReturnsIt) {
  GradientReducer reducer(world(), Compression::Threshold, kElements, 0.1, 0.9);
  const ExchangeState s = saved();
  EXPECT_EQ(restoreExchangeState(s, "ckpt", world(), &reducer), "");
  const int r = world().rank();
  EXPECT_EQ(asVector(reducer.encoder()->residual()), values(2 + 2 * r));
  EXPECT_EQ(asVector(reducer.encoder()->velocity()), values(3 + 2 * r));
  EXPECT_EQ(reducer.encoder()->threshold(), 0.375f);

  const ExchangeState again = gatherExchangeState(world(), &reducer);
  EXPECT_EQ(again.description, s.description);
  if (r != 0) {
    EXPECT_TRUE(again.tensors.empty());
    return;
  }
  ASSERT_EQ(again.tensors.size(), s.tensors.size());
  for (size_t i = 0; i < s.tensors.size(); ++i) {
    EXPECT_EQ(again.tensors[i].first, s.tensors[i].first);
    EXPECT_EQ(again.tensors[i].second.toVector(), s.tensors[i].second.toVector()) << s.tensors[i].first;
  }
}

TEST(ExchangeState, AnOlderCheckpointsLastSumIsNotRead) {
  // momentum correction kept G_{t-1} itself before its step became sparse; now SGD's momentum
  // buffer is G_{t-1}, and the block those checkpoints hold is passed over
  GradientReducer reducer(world(), Compression::Threshold, kElements, 0.1, 0.9);
  ExchangeState s = saved();
  s.tensors.insert(s.tensors.begin(), {"last_sum", Tensor::fromVector({3}, {1.0f, 2.0f, 3.0f})});
  EXPECT_EQ(restoreExchangeState(s, "ckpt", world(), &reducer), "");
  EXPECT_EQ(asVector(reducer.encoder()->residual()), values(2 + 2 * world().rank()));
  EXPECT_EQ(reducer.encoder()->threshold(), 0.375f);
}

TEST(ExchangeState, WhatDoesNotFitIsDroppedWithANoteNamingWhy) {
  ExchangeState s = saved();
  s.description["ranks"] = 4;
  GradientReducer threshold(world(), Compression::Threshold, kElements, 0.1, 0.9);
  EXPECT_EQ(restoreExchangeState(s, "ckpt", world(), &threshold),
            "threshold compression's unsent residuals and velocities of 4 ranks in ckpt are dropped (this job has 2 "
            "ranks): they start from zero");
  EXPECT_EQ(threshold.encoder()->threshold(), 0.0f) << "chosen again on the first step";
  EXPECT_EQ(asVector(threshold.encoder()->residual()), std::vector<float>(kElements, 0.0f));

  GradientReducer withoutMomentum(world(), Compression::Threshold, kElements, 0.1, 0);
  EXPECT_NE(restoreExchangeState(saved(), "ckpt", world(), &withoutMomentum).find("momentum correction"),
            std::string::npos);
  GradientReducer larger(world(), Compression::Threshold, kElements + 1, 0.1, 0.9);
  EXPECT_NE(restoreExchangeState(saved(), "ckpt", world(), &larger).find("38 elements, the checkpoint's 37"),
            std::string::npos);
  GradientReducer bf16(world(), Compression::Bf16, kElements, 0.1);
  EXPECT_EQ(restoreExchangeState(saved(), "ckpt", world(), &bf16),
            "threshold compression's unsent residuals and velocities of 2 ranks in ckpt are dropped: this run's "
            "compression is bf16");
  EXPECT_NE(restoreExchangeState(saved(), "ckpt", world(), nullptr).find("this run's compression is none"),
            std::string::npos);
  EXPECT_EQ(restoreExchangeState(ExchangeState{}, "ckpt", world(), &threshold), "") << "nothing saved";
}

TEST(ExchangeState, ACorruptStateIsAnInputErrorNamingTheFile) {
  GradientReducer reducer(world(), Compression::Threshold, kElements, 0.1, 0.9);
  ExchangeState negative = saved();
  negative.description["threshold"] = -1.0;
  ExchangeState missing = saved();
  missing.tensors.pop_back();  // rank 1's velocity: every rank refuses, not only rank 1
  ExchangeState noRanks = saved();
  noRanks.description.erase("ranks");
  for (const ExchangeState* bad : {&negative, &missing, &noRanks}) {
    try {
      restoreExchangeState(*bad, "run/ckpt-7", world(), &reducer);
      ADD_FAILURE() << "no error for " << bad->description.dump() << " (" << bad->tensors.size() << " tensors)";
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("run/ckpt-7: corrupt checkpoint", 0), 0u) << e.what();
    }
  }
}

}  // namespace
}  // namespace shoal::dist
