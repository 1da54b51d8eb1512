// Triggers: predicates over the training state that end training or schedule validation (BigDL's Trigger).
#pragma once
#include <cstdint>
#include <functional>
#include <string>

namespace shoal::train {

// Where training stands when a trigger is asked.
struct TrainState {
  int64_t epoch = 1;      // current epoch, from 1
  int64_t iteration = 0;  // optimisation steps completed
  double loss = 0.0;      // loss of the last step
  bool epochEnd = false;  // true when asked right after the last batch of `epoch`
};

class Trigger {
 public:
  Trigger(std::function<bool(const TrainState&)> fires, std::string description)
      : fires_(std::move(fires)), description_(std::move(description)) {}
  bool operator()(const TrainState& s) const { return fires_(s); }
  const std::string& describe() const { return description_; }

 private:
  std::function<bool(const TrainState&)> fires_;
  std::string description_;
};

// End triggers.
Trigger MaxEpoch(int64_t epochs);          // after `epochs` whole epochs
Trigger MaxIteration(int64_t iterations);  // after `iterations` steps
Trigger MinLoss(double loss);              // when a step's loss falls below `loss`
// Validation triggers.
Trigger EveryEpoch();                      // at the end of each epoch
Trigger SeveralIteration(int64_t interval);  // every `interval` steps

}  // namespace shoal::train
