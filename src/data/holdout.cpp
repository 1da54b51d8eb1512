// A seeded (optionally stratified) hold-out split of a data set.
#include "shoal/data/holdout.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "shoal/error.hpp"

namespace shoal::data {
namespace {

// The first round(fraction * n) of `indices` after a seeded shuffle (at least one when stratifying
// a group of two or more).
void takeShare(std::vector<int64_t>& indices, double fraction, bool atLeastOne, std::mt19937_64& random,
               std::vector<int64_t>& held) {
  std::shuffle(indices.begin(), indices.end(), random);
  auto share = static_cast<int64_t>(std::llround(fraction * static_cast<double>(indices.size())));
  if (atLeastOne && share == 0 && indices.size() >= 2) share = 1;
  held.insert(held.end(), indices.begin(), indices.begin() + share);
}

}  // namespace

Holdout holdOut(const Dataset& data, double fraction, bool stratify, uint64_t seed) {
  if (!(fraction > 0 && fraction < 1))
    throw UsageError("validation split must be between 0 and 1 (exclusive), got " + std::to_string(fraction));
  if (stratify && data.labels().empty()) throw UsageError("a stratified split needs class labels");
  std::mt19937_64 random(seed);
  std::vector<int64_t> held;
  if (stratify) {
    std::vector<std::vector<int64_t>> byClass;
    const std::vector<int32_t>& labels = data.labels();
    for (int64_t i = 0; i < data.size(); ++i) {
      const auto label = static_cast<size_t>(labels[i]);
      if (label >= byClass.size()) byClass.resize(label + 1);
      byClass[label].push_back(i);
    }
    for (auto& members : byClass) takeShare(members, fraction, true, random, held);
  } else {
    std::vector<int64_t> all(static_cast<size_t>(data.size()));
    std::iota(all.begin(), all.end(), int64_t{0});
    takeShare(all, fraction, false, random, held);
  }
  std::sort(held.begin(), held.end());
  if (held.empty() || static_cast<int64_t>(held.size()) == data.size())
    throw UsageError("a validation split of " + std::to_string(fraction) + " of " + std::to_string(data.size()) +
                     " samples leaves " + (held.empty() ? "no validation samples" : "no training samples"));
  std::vector<int64_t> kept;
  kept.reserve(static_cast<size_t>(data.size()) - held.size());
  for (int64_t i = 0, h = 0; i < data.size(); ++i) {
    if (h < static_cast<int64_t>(held.size()) && held[h] == i) ++h;
    else kept.push_back(i);
  }
  return {data.select(kept), data.select(held)};
}

}  // namespace shoal::data
