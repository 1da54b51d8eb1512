// Hold-out splits: every sample in exactly one part, the same class shares with --stratify, seeded.
#include <gtest/gtest.h>

#include <set>

#include "shoal/data/holdout.hpp"
#include "shoal/error.hpp"

namespace shoal::data {
namespace {

// 1000 one-feature samples whose feature is their index; 5% of class 1, the rest class 0.
Dataset imbalanced() {
  std::vector<float> features;
  std::vector<int32_t> labels;
  for (int i = 0; i < 1000; ++i) {
    features.push_back(static_cast<float>(i));
    labels.push_back(i % 20 == 0);
  }
  return Dataset::fromFloats(Shape{1}, features, labels, 2);
}

std::vector<float> featuresOf(const Dataset& d) { return d.rawFeatures(); }

int64_t positives(const Dataset& d) {
  int64_t n = 0;
  for (int32_t y : d.labels()) n += y;
  return n;
}

TEST(Holdout, EverySampleLandsInExactlyOnePart) {
  Holdout h = holdOut(imbalanced(), 0.25, false, 7);
  EXPECT_EQ(h.held.size(), 250);
  EXPECT_EQ(h.kept.size(), 750);
  std::set<float> seen;
  for (const Dataset* d : {&h.kept, &h.held})
    for (float f : featuresOf(*d)) EXPECT_TRUE(seen.insert(f).second) << f;
  EXPECT_EQ(seen.size(), 1000u);
  // labels travel with their samples
  for (const Dataset* d : {&h.kept, &h.held}) {
    std::vector<float> f = featuresOf(*d);
    for (int64_t i = 0; i < d->size(); ++i) EXPECT_EQ(d->labels()[i], static_cast<int>(f[i]) % 20 == 0);
  }
}

TEST(Holdout, StratifiedKeepsEachClassShare) {
  Holdout h = holdOut(imbalanced(), 0.2, true, 7);
  EXPECT_EQ(positives(h.held), 10);  // 20% of the 50 positives
  EXPECT_EQ(h.held.size(), 200);
  EXPECT_EQ(positives(h.kept), 40);
}

TEST(Holdout, SameSeedSameSplitOtherSeedOtherSplit) {
  EXPECT_EQ(featuresOf(holdOut(imbalanced(), 0.2, true, 3).held), featuresOf(holdOut(imbalanced(), 0.2, true, 3).held));
  EXPECT_NE(featuresOf(holdOut(imbalanced(), 0.2, true, 3).held), featuresOf(holdOut(imbalanced(), 0.2, true, 4).held));
}

TEST(Holdout, RefusesSharesThatLeaveAPartEmpty) {
  EXPECT_THROW(holdOut(imbalanced(), 0.0, false, 1), UsageError);
  EXPECT_THROW(holdOut(imbalanced(), 1.0, false, 1), UsageError);
  EXPECT_THROW(holdOut(imbalanced(), 0.0001, false, 1), UsageError);
}

}  // namespace
}  // namespace shoal::data
