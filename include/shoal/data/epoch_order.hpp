// EpochOrder: the reproducible order in which an epoch visits a data set, cut into mini-batches.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace shoal::data {

// The permutation of epoch e depends only on (seed, e): a Fisher-Yates shuffle driven by a
// std::mt19937_64 seeded from both, so a resumed run reproduces any epoch's order. It is
// computed in place: no allocation after construction.
class EpochOrder {
 public:
  // `size` samples; without `shuffle` every epoch visits them in order. With `block` > 0 (data
  // streamed from a mapped file) the shuffle is local: blocks of `block` consecutive samples are
  // visited in a shuffled order, and the samples of each window of kWindowBlocks blocks are
  // shuffled among themselves (a shuffle buffer), so an epoch touches the file a window at a time.
  EpochOrder(int64_t size, uint64_t seed, bool shuffle = true, int64_t block = 0);
  static constexpr int64_t kWindowBlocks = 8;

  // Makes the order of `epoch` (>= 0) current and returns it.
  const std::vector<int64_t>& forEpoch(int64_t epoch);
  // Batches per epoch: a short last batch counts unless `dropLast`.
  int64_t batchCount(int64_t batchSize, bool dropLast) const;
  // The sample indices of batch `index` of the current epoch; the last may be shorter.
  std::span<const int64_t> batch(int64_t index, int64_t batchSize) const;

  int64_t size() const { return static_cast<int64_t>(order_.size()); }
  const std::vector<int64_t>& order() const { return order_; }

 private:
  uint64_t seed_;
  bool shuffle_;
  int64_t block_;
  std::vector<int64_t> order_;
  std::vector<int64_t> blockOrder_;  // block shuffles: reused, sized on the first epoch
};

}  // namespace shoal::data
