// ReLU: max(0, x), element-wise on inputs of any rank (the backend's EltwiseOp).
#pragma once
#include "shoal/nn/elementwise_activation.hpp"

namespace shoal::nn {

class ReLU : public ElementwiseActivation {
 public:
  ReLU() : ElementwiseActivation(backend::Activation::Relu) {}
  ReLU(ReLU&&) = default;

  std::string typeName() const override { return "ReLU"; }
  // A ReLU can run inside a Linear or convolution step before it.
  std::optional<Epilogue> asEpilogue() const override {
    Epilogue e;
    e.kind = Epilogue::Kind::Relu;
    return e;
  }
};

}  // namespace shoal::nn
