// Which samples a rank holds, and cutting them out of a data set.
#include "shoal/data/shard.hpp"

#include <algorithm>

namespace shoal::data {

int64_t Shard::first(int64_t total) const {
  if (layout == Layout::Strided) return rank;
  const int64_t base = total / ranks, extra = total % ranks;
  return rank * base + std::min<int64_t>(rank, extra);
}

int64_t Shard::count(int64_t total) const {
  if (layout == Layout::Strided) return total > rank ? (total - rank + ranks - 1) / ranks : 0;
  return total / ranks + (rank < total % ranks ? 1 : 0);
}

std::string Shard::describe(int64_t total) const {
  const int64_t n = count(total), from = first(total);
  const std::string of = std::to_string(n) + " of " + std::to_string(total);
  if (layout == Layout::Strided)
    return "samples " + std::to_string(from) + ", " + std::to_string(from + ranks) + ", " +
           std::to_string(from + 2 * ranks) + ", ...: " + of;
  return "samples " + std::to_string(from) + "-" + std::to_string(from + n - 1) + ": " + of;
}

Dataset takeShard(const Dataset& full, const Shard& shard) {
  return full.slice(shard.first(full.size()), shard.count(full.size()), shard.stride());
}

}  // namespace shoal::data
