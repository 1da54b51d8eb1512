// Sigmoid: the logistic function 1 / (1 + exp(-x)), element-wise on inputs of any rank (the backend's EltwiseOp).
#pragma once
#include "shoal/nn/elementwise_activation.hpp"

namespace shoal::nn {

class Sigmoid : public ElementwiseActivation {
 public:
  Sigmoid() : ElementwiseActivation(backend::Activation::Sigmoid) {}
  Sigmoid(Sigmoid&&) = default;

  std::string typeName() const override { return "Sigmoid"; }
};

}  // namespace shoal::nn
