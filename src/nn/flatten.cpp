// Flatten layer: views of the input and of the output gradient.
#include "shoal/nn/flatten.hpp"
#include "shoal/nn/layer_registry.hpp"

namespace shoal::nn {

void Flatten::updateOutput(const Tensor& input) {
  output_ = input.view(Shape{input.dim(0), input.shape().tail().numel()});
}

void Flatten::updateGradInput(const Tensor& input, const Tensor& gradOutput) {
  gradInput_ = gradOutput.view(input.shape());
}

SHOAL_REGISTER_LAYER(Flatten, {"Flatten", {}, [](const LayerArgs&) { return std::make_unique<Flatten>(); }});

}  // namespace shoal::nn
