// Reshape: gives every sample a new shape with the same element count (a view, no copy).
#pragma once
#include "shoal/nn/module.hpp"

namespace shoal::nn {

// [N, ...] -> [N, sampleShape...]; the output and gradInput share the storage of the input and
// gradOutput.
class Reshape : public Module {
 public:
  explicit Reshape(Shape sampleShape);
  Reshape(Reshape&&) = default;

  const Shape& sampleShape() const { return sampleShape_; }

  Shape outputShape(const Shape& inputShape) const override;
  std::string typeName() const override { return "Reshape"; }
  bool passesElementType() const override { return true; }
  int64_t flops(std::span<const Shape>, const Shape&) const override { return 0; }
  nlohmann::json spec() const override;
  std::string describe() const override { return "Reshape(" + sampleShape_.str() + ")"; }

 protected:
  void updateOutput(const Tensor& input) override;
  void updateGradInput(const Tensor& input, const Tensor& gradOutput) override;

 private:
  Shape sampleShape_;
};

}  // namespace shoal::nn
