// Sigmoid layer on the oneDNN eltwise backend.
#include "shoal/nn/sigmoid.hpp"

namespace shoal::nn {

Sigmoid::Sigmoid() : eltwise_(backend::cpu::Activation::Sigmoid) {}

void Sigmoid::updateOutput(const Tensor& input) {
  output_.resize(input.shape());
  eltwise_.forward(input, output_);
}

void Sigmoid::updateGradInput(const Tensor& input, const Tensor& gradOutput) {
  gradInput_.resize(input.shape());
  eltwise_.backward(output_, gradOutput, gradInput_);
}

}  // namespace shoal::nn
