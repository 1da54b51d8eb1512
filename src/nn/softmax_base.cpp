// SoftMaxBase: SoftMax and LogSoftMax layers on the backend's SoftmaxOp.
#include "shoal/nn/softmax_base.hpp"

#include "shoal/backend/backend.hpp"
#include "shoal/error.hpp"

namespace shoal::nn {

SoftMaxBase::SoftMaxBase(bool log) : softmax_(backend::current().makeSoftmax(log)) {}

Shape SoftMaxBase::outputShape(const Shape& inputShape) const {
  if (inputShape.rank() == 0)
    throw ShapeError(label() + ": expects samples with a class dimension ([N, C] input), got "
                     "samples of shape " + inputShape.str());
  return inputShape;
}

void SoftMaxBase::updateOutput(const Tensor& input) {
  // Module::forward does not check rank-0 samples (its initial checked shape); none fits here.
  if (input.rank() < 2) outputShape(input.shape().tail());
  output_.resize(input.shape());
  softmax_->forward(input, output_);
}

void SoftMaxBase::updateGradInput(const Tensor& input, const Tensor& gradOutput) {
  gradInput_.resize(input.shape());
  softmax_->backward(output_, gradOutput, gradInput_);
}

}  // namespace shoal::nn
