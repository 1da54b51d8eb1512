// Summing validation sums and counts over the ranks of a job with one small all-reduce.
#include "shoal/train/rank_results.hpp"

namespace shoal::train {

void sumAcrossRanks(std::vector<ValidationResult>& results, dist::Communicator& comm) {
  if (comm.size() == 1) return;
  std::vector<double> totals;
  for (const auto& r : results) totals.insert(totals.end(), {r.sum, r.count});
  comm.allReduce(std::span<double>(totals), dist::ReduceOp::Sum);
  for (size_t i = 0; i < results.size(); ++i) {
    results[i].sum = totals[2 * i];
    results[i].count = totals[2 * i + 1];
  }
}

}  // namespace shoal::train
