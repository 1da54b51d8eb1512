// ElementwiseActivation: the shared base of ReLU, Tanh and Sigmoid (one oneDNN eltwise kind each).
#pragma once
#include "shoal/backend/cpu/eltwise.hpp"
#include "shoal/nn/module.hpp"

namespace shoal::nn {

// Applies one activation element-wise to inputs of any rank; the output has the input's shape.
// Subclasses name the activation (typeName) and pick its oneDNN kind.
class ElementwiseActivation : public Module {
 public:
  ElementwiseActivation(ElementwiseActivation&&) = default;

  Shape outputShape(const Shape& inputShape) const override { return inputShape; }

 protected:
  explicit ElementwiseActivation(backend::cpu::Activation activation) : eltwise_(activation) {}

  void updateOutput(const Tensor& input) override;
  // Computed from the output alone.
  void updateGradInput(const Tensor& input, const Tensor& gradOutput) override;

 private:
  backend::cpu::Eltwise eltwise_;
};

}  // namespace shoal::nn
