// Small labelled data sets made up for tests: noisy class clusters that a small network can learn.
#pragma once
#include <cstdint>

#include "shoal/data/dataset.hpp"

namespace shoal::testing {

// Sample i has class i % classes and `features` values: Gaussian noise of deviation `noise`,
// plus `shift` on every feature f with f % period == class (period = features: one feature per
// class). Drawn from a std::mt19937_64 seeded with `seed`, so every call gives the same set.
data::Dataset gaussianClasses(int64_t n, int classes, int features, int period, float shift,
                              float noise, uint64_t seed);

}  // namespace shoal::testing
