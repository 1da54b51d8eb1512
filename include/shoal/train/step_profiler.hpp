// StepProfiler: where a training step's time goes, per layer and per phase (shoal train --profile; BigDL's getTimes).
#pragma once
#include <string>
#include <vector>

#include "shoal/nn/layer_times.hpp"
#include "shoal/nn/module.hpp"
#include "shoal/train/optimizer.hpp"

namespace shoal::train {

// Times every step of an epoch: each direct child's forward and backward (a Sequential's layers,
// a Graph's nodes, through the container's LayerTimes; a fused step counts for its first layer), the data (gathering and scaling the batch, clearing the gradients: from the step's
// start to the first layer), the criterion (between forward and backward) and the optimiser (from
// the end of backward to the end of the step: the update and the finiteness check). At each
// epoch end it adds "profile" to the epoch record, with per-step averages in milliseconds:
//   {"layers": [{"name", "forward_ms", "backward_ms", "share"}, ...], "data_ms", "criterion_ms",
//    "optimizer_ms", "step_ms"}
// ("share": the layer's part of the step), and writes the same as a table to the run log.
class StepProfiler : public StepObserver {
 public:
  StepProfiler(nn::Module& model, RunLog& log);
  ~StepProfiler() override;

  void beforeStep(const TrainState& state) override;
  void afterStep(const TrainState& state, RunLog& log) override;
  void atEpochEnd(const TrainState& state, nlohmann::json& epochRecord) override;

 private:
  using Clock = nn::LayerTimes::Clock;

  nn::Module& model_;
  std::vector<std::string> names_;  // the model's direct children, as the rows show them
  std::vector<std::string> precisions_;  // what each child computes in: fp32, bf16 or mixed
  RunLog& log_;
  nn::LayerTimes times_;
  Clock::time_point stepStarted_;
  int64_t steps_ = 0;
  double stepSeconds_ = 0, dataSeconds_ = 0, criterionSeconds_ = 0, optimizerSeconds_ = 0;
};

}  // namespace shoal::train
