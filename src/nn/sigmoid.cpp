// Sigmoid layer on the oneDNN eltwise backend.
#include "shoal/nn/sigmoid.hpp"

namespace shoal::nn {

Sigmoid::Sigmoid() : eltwise_(backend::cpu::Activation::Sigmoid) {}

Sigmoid::Sigmoid(Sigmoid&& other) : eltwise_(std::move(other.eltwise_)) { training_ = other.training_; }

void Sigmoid::updateOutput(const Tensor& input) {
  output_.resize(input.shape());
  eltwise_.forward(input, output_);
}

void Sigmoid::updateGradInput(const Tensor& input, const Tensor& gradOutput) {
  gradInput_.resize(input.shape());
  eltwise_.backward(output_, gradOutput, gradInput_);
}

}  // namespace shoal::nn
