// Tanh layer on the oneDNN eltwise backend.
#include "shoal/nn/tanh.hpp"

namespace shoal::nn {

Tanh::Tanh() : eltwise_(backend::cpu::Activation::Tanh) {}

void Tanh::updateOutput(const Tensor& input) {
  output_.resize(input.shape());
  eltwise_.forward(input, output_);
}

void Tanh::updateGradInput(const Tensor& input, const Tensor& gradOutput) {
  gradInput_.resize(input.shape());
  eltwise_.backward(output_, gradOutput, gradInput_);
}

}  // namespace shoal::nn
