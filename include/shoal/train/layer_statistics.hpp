// Per-layer weight norm, gradient norm and update-to-weight ratio every N steps (DL4J's UI statistics).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "shoal/nn/module.hpp"
#include "shoal/train/optimizer.hpp"

namespace shoal::train {

// A StepObserver that, on every `every`-th step (and the first), writes a "layers" record:
// {"type": "layers", "epoch", "iteration", "layers": [{"name", "weight_norm", "grad_norm",
// "update_norm", "update_ratio"}]} with L2 norms over the parameters of each direct child of the model (a layer of a Sequential, a node of a Graph) and
// update_ratio = |w_after - w_before| / |w_before|. Weights are copied before a due step only, into
// a buffer made here, so steps that are not due cost one comparison.
class LayerStatistics : public StepObserver {
 public:
  LayerStatistics(nn::Module& model, int64_t every);

  void beforeStep(const TrainState& state) override;
  void afterStep(const TrainState& state, RunLog& log) override;

  // Whether the step after `stepsTaken` steps is recorded.
  bool due(int64_t stepsTaken) const { return stepsTaken == 0 || (stepsTaken + 1) % every_ == 0; }

 private:
  struct Range {
    int64_t offset;  // into the flat buffers
    int64_t count;
  };
  struct Layer {
    std::string name;  // "2 Linear(784 -> 1000)"
    std::vector<Range> ranges;
  };

  nn::FlatParameters& flat_;
  int64_t every_;
  std::vector<Layer> layers_;
  std::vector<float> before_;  // the weights before a due step
  bool recording_ = false;
};

}  // namespace shoal::train
