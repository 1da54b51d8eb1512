// EpochOrder: seeded permutations per epoch, reproducibility, batch slicing and no reallocation.
#include "shoal/data/epoch_order.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "shoal/error.hpp"

using shoal::data::EpochOrder;

namespace {

std::vector<int64_t> identity(int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), int64_t{0});
  return v;
}

}  // namespace

TEST(EpochOrder, EachEpochIsAPermutation) {
  EpochOrder order(1000, 42);
  for (int64_t epoch = 0; epoch < 5; ++epoch) {
    std::vector<int64_t> v = order.forEpoch(epoch);
    EXPECT_NE(v, identity(1000));
    std::sort(v.begin(), v.end());
    EXPECT_EQ(v, identity(1000));
  }
}

TEST(EpochOrder, EpochsDifferAndDependOnlyOnSeedAndEpoch) {
  EpochOrder a(500, 7), b(500, 7), c(500, 8);
  std::vector<int64_t> a0 = a.forEpoch(0);
  std::vector<int64_t> a1 = a.forEpoch(1);
  std::vector<int64_t> a3 = a.forEpoch(3);
  EXPECT_NE(a0, a1);
  EXPECT_NE(a1, a3);
  // A resumed run jumps straight to epoch 3 and replays epoch 0 afterwards.
  EXPECT_EQ(b.forEpoch(3), a3);
  EXPECT_EQ(b.forEpoch(0), a0);
  EXPECT_NE(c.forEpoch(0), a0);
}

TEST(EpochOrder, FixedOrderIsPinned) {
  // Checkpoints resume with this order: a change to the shuffle breaks resumed runs.
  EpochOrder order(10, 42);
  std::vector<int64_t> first = order.forEpoch(0);
  EpochOrder again(10, 42);
  EXPECT_EQ(again.forEpoch(0), first);
  EXPECT_EQ(first, (std::vector<int64_t>{9, 6, 2, 0, 1, 4, 3, 8, 5, 7}));
}

TEST(EpochOrder, WithoutShuffleEveryEpochIsInOrder) {
  EpochOrder order(17, 3, false);
  EXPECT_EQ(order.forEpoch(0), identity(17));
  EXPECT_EQ(order.forEpoch(9), identity(17));
}

TEST(EpochOrder, BatchCountAndSlicing) {
  EpochOrder order(10, 1);
  EXPECT_EQ(order.batchCount(4, false), 3);
  EXPECT_EQ(order.batchCount(4, true), 2);
  EXPECT_EQ(order.batchCount(5, true), 2);
  EXPECT_EQ(order.batchCount(20, true), 0);
  EXPECT_EQ(order.batchCount(20, false), 1);
  const std::vector<int64_t>& v = order.forEpoch(2);
  std::vector<int64_t> joined;
  for (int64_t b = 0; b < order.batchCount(4, false); ++b) {
    std::span<const int64_t> batch = order.batch(b, 4);
    EXPECT_EQ(batch.size(), b < 2 ? 4u : 2u);
    EXPECT_EQ(batch.data(), v.data() + b * 4);
    joined.insert(joined.end(), batch.begin(), batch.end());
  }
  EXPECT_EQ(joined, v);
  EXPECT_THROW(order.batch(3, 4), shoal::Error);
  EXPECT_THROW(order.batch(-1, 4), shoal::Error);
  EXPECT_THROW(order.batchCount(0, false), shoal::Error);
}

TEST(EpochOrder, ComputedInPlace) {
  EpochOrder order(100, 5);
  const int64_t* data = order.forEpoch(0).data();
  for (int64_t epoch = 1; epoch < 10; ++epoch) EXPECT_EQ(order.forEpoch(epoch).data(), data);
}

TEST(EpochOrder, EmptyAndSingleSample) {
  EpochOrder empty(0, 1);
  EXPECT_TRUE(empty.forEpoch(0).empty());
  EXPECT_EQ(empty.batchCount(8, false), 0);
  EpochOrder one(1, 1);
  EXPECT_EQ(one.forEpoch(4), (std::vector<int64_t>{0}));
  EXPECT_THROW(EpochOrder(-1, 0), shoal::Error);
}
