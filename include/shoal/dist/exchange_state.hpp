// ExchangeState: the gradient exchange's own state that a checkpoint keeps (threshold compression's per-rank residuals).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "shoal/dist/communicator.hpp"
#include "shoal/dist/gradient_reducer.hpp"
#include "shoal/tensor/tensor.hpp"

namespace shoal::dist {

// Threshold compression leaves on every rank what it has not sent yet (its residual, and with
// momentum correction its velocity) and, the same on every rank, the threshold: a resumed run
// continues exactly only with all of it (momentum correction's last step, G_{t-1}, is SGD's
// momentum buffer, which the optimiser's state keeps). `description` is null when there is
// nothing to keep (the other compressions), else {"compression": "threshold", "ranks",
// "elements", "momentum", "threshold"}; `tensors` are "rank<r>.residual" and (with momentum)
// "rank<r>.velocity" for every rank r in order (checkpoints written before held a "last_sum"
// too, which is not read).
struct ExchangeState {
  nlohmann::json description;
  std::vector<std::pair<std::string, Tensor>> tensors;
};

// Collective (every rank, between steps): every rank's state, complete on rank 0 (the rank that
// writes checkpoints; the others get only the description). An all-gather of each rank's
// residual and velocity (8 bytes per element per rank with momentum, 4 without).
ExchangeState gatherExchangeState(Communicator& comm, const GradientReducer* reducer);

// Puts this rank's part of `saved` (read from checkpoint `path`) into `reducer` (null when the run
// reduces gradients without buckets). A checkpoint written with another compression, world size,
// model size or momentum correction is not refused: threshold's state starts afresh (residual
// and velocity zero, the threshold chosen again on the first step), as it would for a checkpoint
// without it, and the returned note says what differed and what was dropped; "" otherwise.
std::string restoreExchangeState(const ExchangeState& saved, const std::string& path, Communicator& comm,
                                 GradientReducer* reducer);

}  // namespace shoal::dist
