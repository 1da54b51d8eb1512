// ReLU layer on the oneDNN eltwise backend.
#include "shoal/nn/relu.hpp"

namespace shoal::nn {

ReLU::ReLU() : eltwise_(backend::cpu::Activation::Relu) {}

void ReLU::updateOutput(const Tensor& input) {
  output_.resize(input.shape());
  eltwise_.forward(input, output_);
}

void ReLU::updateGradInput(const Tensor& input, const Tensor& gradOutput) {
  gradInput_.resize(input.shape());
  eltwise_.backward(output_, gradOutput, gradInput_);
}

}  // namespace shoal::nn
