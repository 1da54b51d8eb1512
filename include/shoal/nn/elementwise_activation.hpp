// ElementwiseActivation: the shared base of ReLU, Tanh and Sigmoid (one EltwiseOp activation each).
#pragma once
#include <memory>

#include "shoal/backend/activation.hpp"
#include "shoal/backend/eltwise_op.hpp"
#include "shoal/nn/module.hpp"

namespace shoal::nn {

// Applies one activation element-wise to inputs of any rank; the output has the input's shape.
// Subclasses name the activation (typeName) and pick it.
class ElementwiseActivation : public Module {
 public:
  ElementwiseActivation(ElementwiseActivation&&) = default;

  Shape outputShape(const Shape& inputShape) const override { return inputShape; }
  // Element-wise: a channels-last input gives a channels-last output and input gradient.
  bool acceptsChannelsLastInput() const override { return true; }
  bool outputFollowsInputLayout() const override { return true; }

 protected:
  explicit ElementwiseActivation(backend::Activation activation);

  void updateOutput(const Tensor& input) override;
  // Computed from the output alone.
  void updateGradInput(const Tensor& input, const Tensor& gradOutput) override;

 private:
  std::unique_ptr<backend::EltwiseOp> eltwise_;
};

}  // namespace shoal::nn
