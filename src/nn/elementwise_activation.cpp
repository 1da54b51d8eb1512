// ElementwiseActivation: ReLU, Tanh and Sigmoid layers on the oneDNN eltwise backend.
#include "shoal/nn/elementwise_activation.hpp"

namespace shoal::nn {

void ElementwiseActivation::updateOutput(const Tensor& input) {
  output_.resize(input.shape());
  eltwise_.forward(input, output_);
}

void ElementwiseActivation::updateGradInput(const Tensor& input, const Tensor& gradOutput) {
  gradInput_.resize(input.shape());
  eltwise_.backward(output_, gradOutput, gradInput_);
}

}  // namespace shoal::nn
