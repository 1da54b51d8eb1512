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

 private:
  // Points every parameter's value and gradient at its slice of the flat buffers.
  void bindViews();

  std::vector<Parameter> params_;
  Tensor values_;
  Tensor grads_;
};

}  // namespace shoal::nn
