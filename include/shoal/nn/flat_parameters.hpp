// One contiguous buffer for all parameters of a model and one for all gradients.
#pragma once
#include <vector>

#include "shoal/nn/module.hpp"

namespace shoal::nn {

// Each Parameter's value and grad are rebound as views into the two flat buffers, keeping their
// current values, so an optimiser step, an all-reduce or a checkpoint is one pass over one array.
class FlatParameters {
 public:
  explicit FlatParameters(std::vector<Parameter> params);

  Tensor& values() { return values_; }
  Tensor& grads() { return grads_; }
  const std::vector<Parameter>& parameters() const { return params_; }
  int64_t count() const { return values_.numel(); }
  void zeroGrads();
  // Before a backward pass through every module (a training step): the gradients' values no
  // longer matter, and each is either zeroed or marked for its module to overwrite
  // (Parameter::overwriteNext), which spares a clearing pass and a read of the old values.
  void discardGrads();
  // Moves the gradients, values kept, into `storage` (count() floats) and points every
  // parameter's gradient there: the flat buffer can live in memory a communicator reduces in
  // place. `storage` must not share memory with the current gradients.
  void placeGrads(Tensor storage);

  // bf16 precision: a flat bf16 copy of the values (count() elements), each Parameter's
  // `lowPrecision` tensor pointed at its slice, filled from the values now. The optimiser
  // writes it in the pass that updates the values (OptimMethod::setLowPrecisionCopy); whatever
  // else changes the values (loading, restoring, averaging) calls refreshLowPrecisionCopy.
  void enableLowPrecisionCopy();
  void disableLowPrecisionCopy();
  bool hasLowPrecisionCopy() const { return lowPrecision_.defined(); }
  // The flat bf16 copy (undefined without one).
  Tensor& lowPrecisionValues() { return lowPrecision_; }
  // Rounds every value into the bf16 copy, if there is one.
  void refreshLowPrecisionCopy();

 private:
  // Points every parameter's value and gradient at its slice of the flat buffers.
  void bindViews();

  std::vector<Parameter> params_;
  Tensor values_;
  Tensor grads_;
  Tensor lowPrecision_;  // bf16 [count()], or undefined
};

}  // namespace shoal::nn
