// Shard: the part of a data set that one rank of a data-parallel job holds.
#pragma once
#include <cstdint>
#include <string>

#include "shoal/data/dataset.hpp"

namespace shoal::data {

// Every sample belongs to exactly one rank. Contiguous: rank r holds one block (block sizes
// differ by at most one). Strided: rank r holds samples r, r + ranks, r + 2 ranks, ...
struct Shard {
  enum class Layout { Contiguous, Strided };
  int rank = 0;
  int ranks = 1;
  Layout layout = Layout::Contiguous;

  int64_t first(int64_t total) const;  // index of the shard's first sample
  int64_t count(int64_t total) const;  // samples in the shard
  int64_t stride() const { return layout == Layout::Strided ? ranks : 1; }
  // "samples 30000-59999: 30000 of 60000" or "samples 1, 3, 5, ...: 30000 of 60000".
  std::string describe(int64_t total) const;
};

// The shard's samples of `full` as a data set of their own.
Dataset takeShard(const Dataset& full, const Shard& shard);

}  // namespace shoal::data
