// End and validation triggers fire exactly when their definitions say.
#include "shoal/train/trigger.hpp"

#include <gtest/gtest.h>

#include "shoal/error.hpp"

using namespace shoal::train;

TEST(Trigger, MaxEpochFiresAtTheEndOfTheLastEpoch) {
  Trigger t = MaxEpoch(2);
  EXPECT_FALSE(t({.epoch = 1, .iteration = 10, .epochEnd = true}));
  EXPECT_FALSE(t({.epoch = 2, .iteration = 15, .epochEnd = false}));
  EXPECT_TRUE(t({.epoch = 2, .iteration = 20, .epochEnd = true}));
}

TEST(Trigger, MaxIterationAndMinLoss) {
  EXPECT_FALSE(MaxIteration(5)({.iteration = 4}));
  EXPECT_TRUE(MaxIteration(5)({.iteration = 5}));
  EXPECT_FALSE(MinLoss(0.1)({.iteration = 3, .loss = 0.2}));
  EXPECT_TRUE(MinLoss(0.1)({.iteration = 3, .loss = 0.05}));
  EXPECT_FALSE(MinLoss(0.1)({.iteration = 0, .loss = 0.0}));
}

TEST(Trigger, ValidationTriggers) {
  EXPECT_TRUE(EveryEpoch()({.epochEnd = true}));
  EXPECT_FALSE(EveryEpoch()({.iteration = 7}));
  EXPECT_TRUE(SeveralIteration(3)({.iteration = 6}));
  EXPECT_FALSE(SeveralIteration(3)({.iteration = 7}));
  EXPECT_FALSE(SeveralIteration(3)({.iteration = 6, .epochEnd = true}));
}

TEST(Trigger, NonPositiveCountsAreUsageErrors) {
  EXPECT_THROW(MaxEpoch(0), shoal::UsageError);
  EXPECT_THROW(SeveralIteration(-1), shoal::UsageError);
}
