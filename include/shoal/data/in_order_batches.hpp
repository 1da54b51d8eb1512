// Walking a data set in order, one batch at a time (evaluation and prediction).
#pragma once
#include <cstdint>
#include <functional>

#include "shoal/data/dataset.hpp"

namespace shoal::data {

// Gathers samples [start, start + n) of `data` into `input` and `target` for consecutive batches
// of at most `batchSize` and calls `visit(start)` after each; the buffers are reused.
void forEachBatchInOrder(const Dataset& data, int64_t batchSize, Tensor& input, Tensor& target,
                         const std::function<void(int64_t start)>& visit);

}  // namespace shoal::data
