// SoftMax: softmax over dimension 1 (the backend's SoftmaxOp).
#pragma once
#include "shoal/nn/softmax_base.hpp"

namespace shoal::nn {

// exp(x) normalised to sum to 1 over dimension 1; see SoftMaxBase for the shapes.
class SoftMax : public SoftMaxBase {
 public:
  SoftMax() : SoftMaxBase(false) {}
  SoftMax(SoftMax&&) = default;

  std::string typeName() const override { return "SoftMax"; }
};

}  // namespace shoal::nn
