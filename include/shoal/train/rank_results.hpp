// Validation results of a data-parallel job: each rank evaluates its shard, the counts are summed.
#pragma once
#include <vector>

#include "shoal/dist/communicator.hpp"
#include "shoal/train/validation.hpp"

namespace shoal::train {

// Adds every rank's sums and counts, so every rank ends with the figures of the whole data set.
void sumAcrossRanks(std::vector<ValidationResult>& results, dist::Communicator& comm);

}  // namespace shoal::train
