// The standard end and validation triggers.
#include "shoal/train/trigger.hpp"

#include "shoal/error.hpp"

namespace shoal::train {
namespace {
void requirePositive(int64_t n, const char* what) {
  if (n <= 0) throw UsageError(std::string(what) + " must be positive, got " + std::to_string(n));
}
}  // namespace

Trigger MaxEpoch(int64_t epochs) {
  requirePositive(epochs, "MaxEpoch");
  return {[epochs](const TrainState& s) { return s.epochEnd && s.epoch >= epochs; },
          "MaxEpoch(" + std::to_string(epochs) + ")"};
}

Trigger MaxIteration(int64_t iterations) {
  requirePositive(iterations, "MaxIteration");
  return {[iterations](const TrainState& s) { return s.iteration >= iterations; },
          "MaxIteration(" + std::to_string(iterations) + ")"};
}

Trigger MinLoss(double loss) {
  return {[loss](const TrainState& s) { return s.iteration > 0 && s.loss < loss; },
          "MinLoss(" + std::to_string(loss) + ")"};
}

Trigger EveryEpoch() {
  return {[](const TrainState& s) { return s.epochEnd; }, "EveryEpoch"};
}

Trigger SeveralIteration(int64_t interval) {
  requirePositive(interval, "SeveralIteration");
  return {[interval](const TrainState& s) {
            return !s.epochEnd && s.iteration > 0 && s.iteration % interval == 0;
          },
          "SeveralIteration(" + std::to_string(interval) + ")"};
}

}  // namespace shoal::train
