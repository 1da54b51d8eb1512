// GradientListener: told during a backward pass as soon as each parameter's gradient is final.
#pragma once
#include "shoal/tensor/tensor.hpp"

namespace shoal::nn {

// Set on a model with Module::setGradientListener. Whoever computes a module's parameter
// gradients reports them once they are final for the pass (Module::backward and
// backwardParameters for a module run alone, a fused plan step for the layer it computes),
// so a backward pass reports every element of every parameter gradient of the model once, the
// last layer's first, and each module's own gradients from the last one back. A gradient is
// reported whole, or in parts when the layer computes it in parts (Linear splits a large weight
// gradient into blocks of rows while a listener is set, reporting the last rows first); what
// was reported does not change until the next pass.
// It is how gradients are reduced between ranks while backward still computes the earlier
// layers (dist::Synchronizer's overlap). Unset, nothing is reported (one pointer test per step).
class GradientListener {
 public:
  virtual ~GradientListener() = default;
  // `grad` (a Parameter::grad of the model, or a view of consecutive elements of one) holds
  // this pass's final values.
  virtual void gradientReady(const Tensor& grad) = 0;
};

}  // namespace shoal::nn
