// OptimMethod: one optimisation step over a model's flat parameter buffer (BigDL's OptimMethod).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "shoal/optim/sparse_update.hpp"
#include "shoal/tensor/tensor.hpp"

namespace shoal::optim {

// Recomputes the loss at the current parameters and writes the gradient into the flat gradient
// buffer (zeroing it first); returns the loss. Torch's optim `feval`.
using Closure = std::function<float()>;

// Everything an optimisation method needs to continue exactly: counters and scalars as JSON,
// and named state tensors (momentum, Adam moments, L-BFGS history), copied.
struct OptimState {
  nlohmann::json scalars;                               // {"method": name(), "iteration": .., "epoch": .., ...}
  std::vector<std::pair<std::string, Tensor>> tensors;  // deep copies
};

class OptimMethod {
 public:
  virtual ~OptimMethod() = default;
  // Updates `params` in place; `grads` is the buffer the closure fills. SGD and Adam call the
  // closure once, L-BFGS as often as its iterations and line search need. Returns the loss
  // the closure reported at the starting point.
  virtual float step(Tensor& params, Tensor& grads, const Closure& closure) = 0;
  // The step of threshold compression's momentum correction (dist::GradientReducer): the
  // exchange applied this method's momentum on every rank before compressing, so the step is the
  // sum it decoded, `update`, which the closure fills. SGD with momentum takes it; the base throws
  // UsageError (no other method's step is the plain sum).
  virtual float stepBySparseUpdate(Tensor& params, const Closure& closure, const SparseUpdate& update);
  virtual std::string name() const = 0;
  // The learning rate the next step will use (after any schedule).
  virtual double currentLearningRate() const = 0;
  // bf16 precision: the model's flat bf16 copy of `params` (FlatParameters::lowPrecisionValues),
  // which a method that writesLowPrecisionCopy() rounds the updated parameters into in its
  // update pass; for the others the caller refreshes it before each evaluation. Null: none.
  void setLowPrecisionCopy(Tensor* copy) { lowPrecision_ = copy; }
  virtual bool writesLowPrecisionCopy() const { return false; }
  // Tells schedules that count epochs which epoch (from 0) training is in.
  void setEpoch(int64_t epoch) { epoch_ = epoch; }
  int64_t iteration() const { return iteration_; }
  // Settings as JSON, for logs and the metrics file.
  virtual nlohmann::json config() const = 0;
  // Whether every gradient the last step used was finite. The base checks `grads` after the
  // step; a method whose update pass reads every gradient notes it in that pass instead.
  virtual bool lastGradientsFinite(const Tensor& grads) const;
  // The state that lets a fresh instance built with the same options continue bit for bit.
  // The base fills method, iteration and epoch; subclasses add their own.
  virtual OptimState saveState() const;
  // Restores what saveState gave. The base checks that the state is of this method and restores
  // the counters; throws InputError when the state belongs to another method, a scalar or tensor
  // is missing, or a tensor's size does not match.
  virtual void restoreState(const OptimState& state);

 protected:
  // Scalar `key` of `state` as T; InputError naming the method and key when absent or mistyped.
  template <class T>
  T stateScalar(const OptimState& state, const char* key) const;
  // Tensor `name` of `state`, which must hold `numel` elements; InputError otherwise.
  const Tensor& stateTensor(const OptimState& state, const std::string& name, int64_t numel) const;
  [[noreturn]] void throwMissingScalar(const char* key) const;

  // The bf16 copy's elements for a step over `count` parameters, or null without one;
  // ShapeError when its size differs.
  bfloat16* lowPrecisionFor(int64_t count) const;

  Tensor* lowPrecision_ = nullptr;  // see setLowPrecisionCopy
  int64_t iteration_ = 0;  // steps taken
  int64_t epoch_ = 0;
};

template <class T>
T OptimMethod::stateScalar(const OptimState& state, const char* key) const {
  try {
    return state.scalars.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throwMissingScalar(key);
  }
}

}  // namespace shoal::optim
