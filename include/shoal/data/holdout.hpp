// Holding out a seeded share of a data set for validation, optionally the same share of every class.
#pragma once
#include <cstdint>

#include "shoal/data/dataset.hpp"

namespace shoal::data {

struct Holdout {
  Dataset kept;  // the rest, in their original order
  Dataset held;  // the held-out samples, in their original order
};

// Holds out round(fraction * size) samples chosen at random (seeded). With `stratify`, each class
// gives round(fraction * its count) samples (at least one from a class with two or more), so
// the class shares of both parts match the whole. UsageError for a fraction outside (0, 1), data
// without labels (stratify), or a part that would be empty.
Holdout holdOut(const Dataset& data, double fraction, bool stratify, uint64_t seed);

}  // namespace shoal::data
