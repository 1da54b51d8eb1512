// In-order batch walk over a data set.
#include "shoal/data/in_order_batches.hpp"

#include <algorithm>
#include <numeric>
#include <vector>

#include "shoal/error.hpp"

namespace shoal::data {

void forEachBatchInOrder(const Dataset& data, int64_t batchSize, Tensor& input, Tensor& target,
                         const std::function<void(int64_t start)>& visit) {
  if (batchSize <= 0) throw UsageError("batch size must be positive, got " + std::to_string(batchSize));
  std::vector<int64_t> indices;
  for (int64_t start = 0; start < data.size(); start += batchSize) {
    int64_t n = std::min(batchSize, data.size() - start);
    indices.resize(static_cast<size_t>(n));
    std::iota(indices.begin(), indices.end(), start);
    data.gather(indices, input, target);
    visit(start);
  }
}

}  // namespace shoal::data
