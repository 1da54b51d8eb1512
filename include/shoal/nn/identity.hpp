// Identity: passes the input and the gradient through unchanged (shared storage, no copy).
#pragma once
#include "shoal/nn/module.hpp"

namespace shoal::nn {

class Identity : public Module {
 public:
  Identity() = default;
  Identity(Identity&&) = default;

  Shape outputShape(const Shape& inputShape) const override { return inputShape; }
  std::string typeName() const override { return "Identity"; }
  bool passesElementType() const override { return true; }
  int64_t flops(std::span<const Shape>, const Shape&) const override { return 0; }

 protected:
  void updateOutput(const Tensor& input) override { output_ = input; }
  void updateGradInput(const Tensor& input, const Tensor& gradOutput) override {
    gradInput_ = gradOutput;
  }
};

}  // namespace shoal::nn
