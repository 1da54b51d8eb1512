// Flatten: [N, ...] -> [N, prod(...)], as a view (no copy); the usual bridge from images to Linear.
#pragma once
#include "shoal/nn/module.hpp"

namespace shoal::nn {

class Flatten : public Module {
 public:
  Flatten() = default;
  Flatten(Flatten&&) = default;

  Shape outputShape(const Shape& inputShape) const override { return Shape{inputShape.numel()}; }
  std::string typeName() const override { return "Flatten"; }
  bool passesElementType() const override { return true; }
  int64_t flops(std::span<const Shape>, const Shape&) const override { return 0; }

 protected:
  void updateOutput(const Tensor& input) override;
  void updateGradInput(const Tensor& input, const Tensor& gradOutput) override;
};

}  // namespace shoal::nn
