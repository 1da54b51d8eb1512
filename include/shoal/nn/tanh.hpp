// Tanh: the hyperbolic tangent, element-wise on inputs of any rank (oneDNN eltwise).
#pragma once
#include "shoal/backend/cpu/eltwise.hpp"
#include "shoal/nn/module.hpp"

namespace shoal::nn {

class Tanh : public Module {
 public:
  Tanh();
  Tanh(Tanh&&) = default;

  Shape outputShape(const Shape& inputShape) const override { return inputShape; }
  std::string typeName() const override { return "Tanh"; }

 protected:
  void updateOutput(const Tensor& input) override;
  // Computed from the output alone.
  void updateGradInput(const Tensor& input, const Tensor& gradOutput) override;

 private:
  backend::cpu::Eltwise eltwise_;
};

}  // namespace shoal::nn
