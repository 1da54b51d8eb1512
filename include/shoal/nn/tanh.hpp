// Tanh: the hyperbolic tangent, element-wise on inputs of any rank (the backend's EltwiseOp).
#pragma once
#include "shoal/nn/elementwise_activation.hpp"

namespace shoal::nn {

class Tanh : public ElementwiseActivation {
 public:
  Tanh() : ElementwiseActivation(backend::Activation::Tanh) {}
  Tanh(Tanh&&) = default;

  std::string typeName() const override { return "Tanh"; }
};

}  // namespace shoal::nn
