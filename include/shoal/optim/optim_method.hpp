// OptimMethod: one optimisation step over a model's flat parameter buffer (BigDL's OptimMethod).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "shoal/tensor/tensor.hpp"

namespace shoal::optim {

// Recomputes the loss at the current parameters and writes the gradient into the flat gradient
// buffer (zeroing it first); returns the loss. Torch's optim `feval`.
using Closure = std::function<float()>;

class OptimMethod {
 public:
  virtual ~OptimMethod() = default;
  // Updates `params` in place; `grads` is the buffer the closure fills. SGD and Adam call the
  // closure once, L-BFGS as often as its iterations and line search need. Returns the loss
  // the closure reported at the starting point.
  virtual float step(Tensor& params, Tensor& grads, const Closure& closure) = 0;
  virtual std::string name() const = 0;
  // The learning rate the next step will use (after any schedule).
  virtual double currentLearningRate() const = 0;
  // Tells schedules that count epochs which epoch (from 0) training is in.
  void setEpoch(int64_t epoch) { epoch_ = epoch; }
  int64_t iteration() const { return iteration_; }
  // Settings as JSON, for logs and the metrics file.
  virtual nlohmann::json config() const = 0;
  // Internal state tensors (momentum, moments, history) for checkpoints.
  virtual std::vector<Tensor*> stateTensors() { return {}; }

 protected:
  int64_t iteration_ = 0;  // steps taken
  int64_t epoch_ = 0;
};

}  // namespace shoal::optim
