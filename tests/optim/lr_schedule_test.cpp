// Learning-rate schedules against values computed by hand.
#include "shoal/optim/lr_schedule.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "shoal/error.hpp"

namespace shoal {
namespace {

using namespace optim;

TEST(StepSchedule, DecaysPerEpochOrPerIteration) {
  StepSchedule perEpoch(2, 0.1);
  EXPECT_DOUBLE_EQ(perEpoch.rate(1.0, 1000, 0), 1.0);
  EXPECT_DOUBLE_EQ(perEpoch.rate(1.0, 1000, 1), 1.0);
  EXPECT_NEAR(perEpoch.rate(1.0, 0, 2), 0.1, 1e-15);
  EXPECT_NEAR(perEpoch.rate(1.0, 0, 5), 0.01, 1e-15);
  StepSchedule perIteration(3, 0.5, false);
  const double expected[] = {0.8, 0.8, 0.8, 0.4, 0.4, 0.4, 0.2};
  for (int64_t it = 0; it < 7; ++it) EXPECT_DOUBLE_EQ(perIteration.rate(0.8, it, 9), expected[it]) << it;
  EXPECT_THROW(StepSchedule(0, 0.1), UsageError);
}

TEST(ExponentialSchedule, ContinuousAndStaircase) {
  ExponentialSchedule smooth(4, 0.5);
  EXPECT_DOUBLE_EQ(smooth.rate(2.0, 0, 0), 2.0);
  EXPECT_NEAR(smooth.rate(2.0, 2, 0), 2.0 / std::sqrt(2.0), 1e-12);  // 2 * 0.5^(2/4)
  EXPECT_NEAR(smooth.rate(2.0, 8, 0), 0.5, 1e-12);
  ExponentialSchedule stairs(4, 0.5, true);
  EXPECT_DOUBLE_EQ(stairs.rate(2.0, 3, 0), 2.0);
  EXPECT_DOUBLE_EQ(stairs.rate(2.0, 4, 0), 1.0);
  EXPECT_DOUBLE_EQ(stairs.rate(2.0, 11, 0), 0.5);
}

TEST(PolySchedule, DecaysToZeroAtMaxIteration) {
  PolySchedule poly(2.0, 10);
  EXPECT_DOUBLE_EQ(poly.rate(0.1, 0, 0), 0.1);
  EXPECT_NEAR(poly.rate(0.1, 5, 0), 0.025, 1e-15);   // 0.1 * 0.5^2
  EXPECT_NEAR(poly.rate(0.1, 9, 0), 0.001, 1e-15);   // 0.1 * 0.1^2
  EXPECT_DOUBLE_EQ(poly.rate(0.1, 10, 0), 0.0);
  EXPECT_DOUBLE_EQ(poly.rate(0.1, 50, 0), 0.0);
  EXPECT_THROW(PolySchedule(1.0, 0), UsageError);
}

TEST(WarmupSchedule, RampsLinearlyThenHandsOverToAStepSchedule) {
  WarmupSchedule warmup(4, std::make_shared<StepSchedule>(3, 0.1, false));
  // lr/4, 2lr/4, 3lr/4, lr, then the step schedule from its own iteration 0.
  const double expected[] = {0.25, 0.5, 0.75, 1.0, 1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.01};
  for (int64_t it = 0; it < 11; ++it) EXPECT_NEAR(warmup.rate(1.0, it, 0), expected[it], 1e-15) << it;
  WarmupSchedule alone(2);
  EXPECT_DOUBLE_EQ(alone.rate(0.4, 0, 0), 0.2);
  EXPECT_DOUBLE_EQ(alone.rate(0.4, 1, 0), 0.4);
  EXPECT_DOUBLE_EQ(alone.rate(0.4, 100, 7), 0.4);
  // A per-epoch schedule after the warm-up still sees the epoch.
  WarmupSchedule epochs(2, std::make_shared<StepSchedule>(1, 0.5));
  EXPECT_DOUBLE_EQ(epochs.rate(1.0, 5, 2), 0.25);
  EXPECT_THROW(WarmupSchedule(0), UsageError);
}

TEST(LearningRateSchedule, ConfigNamesTheScheduleAndItsSettings) {
  WarmupSchedule warmup(4, std::make_shared<StepSchedule>(3, 0.1, false));
  nlohmann::json c = warmup.config();
  EXPECT_EQ(c.at("name"), "warmup");
  EXPECT_EQ(c.at("warmupIterations"), 4);
  EXPECT_EQ(c.at("after").at("name"), "step");
  EXPECT_EQ(c.at("after").at("stepSize"), 3);
  EXPECT_EQ(c.at("after").at("perEpoch"), false);
  EXPECT_EQ(PolySchedule(2.0, 10).config().at("maxIteration"), 10);
}

}  // namespace
}  // namespace shoal
