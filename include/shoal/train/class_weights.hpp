// The loss's per-class weights from "class_weight": none, balanced (from the training labels) or explicit.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "shoal/dist/communicator.hpp"

namespace shoal::train {

// "none": no weights (empty). "balanced": n_samples / (classes * n_class) over the labels of all
// ranks (scikit-learn's compute_class_weight); UsageError when a class has no sample. "w0,w1,...":
// those weights, one per class; ConfigError ("class_weight") when the list is malformed, a weight
// is negative, or the count differs from `classes`.
std::vector<float> classWeightsFor(const std::string& spec, std::span<const int32_t> labels, int64_t classes,
                                   dist::Communicator& comm);

// Checks the spelling only ("none", "balanced" or a list of non-negative numbers).
void checkClassWeightSpec(const std::string& spec);

}  // namespace shoal::train
