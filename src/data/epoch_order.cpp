// EpochOrder: seeded in-place Fisher-Yates shuffles and batch slicing.
#include "shoal/data/epoch_order.hpp"

#include <algorithm>
#include <numeric>
#include <random>
#include <utility>

#include "shoal/data/splitmix.hpp"
#include "shoal/error.hpp"

namespace shoal::data {
namespace {

// Uniform in [0, bound) by rejection: unbiased, and the same on every standard library
// (std::uniform_int_distribution's algorithm is unspecified).
uint64_t below(std::mt19937_64& rng, uint64_t bound) {
  const uint64_t threshold = (0 - bound) % bound;  // 2^64 mod bound
  while (true) {
    uint64_t r = rng();
    if (r >= threshold) return r % bound;
  }
}

}  // namespace

EpochOrder::EpochOrder(int64_t size, uint64_t seed, bool shuffle, int64_t block)
    : seed_(seed), shuffle_(shuffle), block_(std::max<int64_t>(block, 0)) {
  if (size < 0) throw UsageError("EpochOrder: negative data set size " + std::to_string(size));
  order_.resize(static_cast<size_t>(size));
  std::iota(order_.begin(), order_.end(), int64_t{0});
  if (block_ > 0) blockOrder_.resize(static_cast<size_t>((size + block_ - 1) / block_));
}

const std::vector<int64_t>& EpochOrder::forEpoch(int64_t epoch) {
  if (epoch < 0) throw UsageError("EpochOrder: negative epoch " + std::to_string(epoch));
  std::iota(order_.begin(), order_.end(), int64_t{0});
  if (!shuffle_) return order_;
  // (seed, epoch) spread over all 64 bits of the generator's seed
  std::mt19937_64 rng(splitMix64(seed_ ^ splitMix64(static_cast<uint64_t>(epoch))));
  if (block_ == 0 || static_cast<int64_t>(order_.size()) <= block_ * kWindowBlocks) {
    for (size_t i = order_.size(); i > 1; --i) std::swap(order_[i - 1], order_[below(rng, i)]);
    return order_;
  }
  // A shuffled order of blocks (the last may be short), then a shuffle inside each window.
  const auto size = static_cast<int64_t>(order_.size());
  std::vector<int64_t>& blockOrder = blockOrder_;  // `blocks` long since construction
  std::iota(blockOrder.begin(), blockOrder.end(), int64_t{0});
  for (size_t i = blockOrder.size(); i > 1; --i) std::swap(blockOrder[i - 1], blockOrder[below(rng, i)]);
  size_t at = 0;
  for (int64_t b : blockOrder)
    for (int64_t i = b * block_; i < std::min(size, (b + 1) * block_); ++i) order_[at++] = i;
  const auto window = static_cast<size_t>(block_ * kWindowBlocks);
  for (size_t first = 0; first < order_.size(); first += window) {
    const size_t n = std::min(window, order_.size() - first);
    for (size_t i = n; i > 1; --i) std::swap(order_[first + i - 1], order_[first + below(rng, i)]);
  }
  return order_;
}

int64_t EpochOrder::batchCount(int64_t batchSize, bool dropLast) const {
  if (batchSize <= 0)
    throw UsageError("EpochOrder: batch size must be positive, got " + std::to_string(batchSize));
  return dropLast ? size() / batchSize : (size() + batchSize - 1) / batchSize;
}

std::span<const int64_t> EpochOrder::batch(int64_t index, int64_t batchSize) const {
  const int64_t count = batchCount(batchSize, false);
  if (index < 0 || index >= count)
    throw UsageError("EpochOrder: batch " + std::to_string(index) + " is outside [0, " +
                     std::to_string(count) + ") for " + std::to_string(size()) +
                     " samples in batches of " + std::to_string(batchSize));
  const int64_t start = index * batchSize;
  return std::span<const int64_t>(order_).subspan(
      static_cast<size_t>(start), static_cast<size_t>(std::min(batchSize, size() - start)));
}

}  // namespace shoal::data
