// ReLU: max(0, x), element-wise on inputs of any rank (oneDNN eltwise).
#pragma once
#include "shoal/backend/cpu/eltwise.hpp"
#include "shoal/nn/module.hpp"

namespace shoal::nn {

class ReLU : public Module {
 public:
  ReLU();
  ReLU(ReLU&&) = default;

  Shape outputShape(const Shape& inputShape) const override { return inputShape; }
  std::string typeName() const override { return "ReLU"; }

 protected:
  void updateOutput(const Tensor& input) override;
  // Computed from the output alone.
  void updateGradInput(const Tensor& input, const Tensor& gradOutput) override;

 private:
  backend::cpu::Eltwise eltwise_;
};

}  // namespace shoal::nn
