// ElementwiseActivation: ReLU, Tanh and Sigmoid layers on the backend's EltwiseOp.
#include "shoal/nn/elementwise_activation.hpp"

#include "shoal/backend/backend.hpp"

namespace shoal::nn {

ElementwiseActivation::ElementwiseActivation(backend::Activation activation)
    : eltwise_(backend::current().makeEltwise(activation)) {}

void ElementwiseActivation::updateOutput(const Tensor& input) {
  output_.resize(input.shape());
  output_.setLayout(input.layout());
  eltwise_->forward(input, output_);
}

void ElementwiseActivation::updateGradInput(const Tensor& input, const Tensor& gradOutput) {
  gradInput_.resize(input.shape());
  gradInput_.setLayout(input.layout());
  eltwise_->backward(output_, gradOutput, gradInput_);
}

}  // namespace shoal::nn
