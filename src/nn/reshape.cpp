// Reshape layer: views of the input and of the output gradient.
#include "shoal/nn/reshape.hpp"
#include "shoal/nn/layer_registry.hpp"

#include "shoal/error.hpp"

namespace shoal::nn {

Reshape::Reshape(Shape sampleShape) : sampleShape_(sampleShape) {}

Shape Reshape::outputShape(const Shape& inputShape) const {
  if (inputShape.numel() != sampleShape_.numel())
    throw ShapeError(label() + ": cannot reshape samples of shape " + inputShape.str() + " (" +
                     std::to_string(inputShape.numel()) + " elements) to " + sampleShape_.str() +
                     " (" + std::to_string(sampleShape_.numel()) + " elements)");
  return sampleShape_;
}

nlohmann::json Reshape::spec() const {
  return {{"type", typeName()}, {"shape", sampleShape_.dims()}};
}

void Reshape::updateOutput(const Tensor& input) {
  output_ = input.view(sampleShape_.withBatch(input.dim(0)));
}

void Reshape::updateGradInput(const Tensor& input, const Tensor& gradOutput) {
  gradInput_ = gradOutput.view(input.shape());
}

SHOAL_REGISTER_LAYER(Reshape, {"Reshape", {"shape"}, [](const LayerArgs& a) {
  return std::make_unique<Reshape>(Shape(a.integers("shape")));
}});

}  // namespace shoal::nn
