// FusedLinearStep: Linear + ReLU forward in one primitive, backward through the ReLU's mask.
#include "fused_linear_step.hpp"

#include "shoal/backend/backend.hpp"
#include "shoal/backend/vector_kernels.hpp"
#include "shoal/error.hpp"

namespace shoal::nn {

FusedLinearStep::FusedLinearStep(Linear& layer)
    : layer_(layer), matmul_(backend::current().makeMatmul()),
      reluMask_(backend::current().makeEltwise(backend::Activation::Relu)) {}

// input [N, In] -> output [N, Out] = relu(input W^T + b)
const Tensor& FusedLinearStep::forward(const Tensor& input) {
  if (input.rank() == 0) throw ShapeError(layer_.label() + ": input must have a batch dimension");
  layer_.outputShape(input.shape().tail());
  output_.resize(Shape{input.dim(0), layer_.out_},
                 bf16() && outputBf16_ ? DType::BF16 : DType::F32);
  const Tensor* bias = layer_.withBias_ ? &layer_.bias_ : nullptr;
  if (!bf16()) {
    matmul_->forward(input, layer_.weight_, bias, /*relu=*/true, output_);
  } else {
    matmul_->forward(Linear::asBf16(input, layer_.inputBf16_), layer_.bf16Weight(true), bias,
                     /*relu=*/true, output_);
  }
  return output_;
}

void FusedLinearStep::maskGradient(const Tensor& gradOutput) {
  if (gradOutput.shape() != output_.shape())
    throw ShapeError(layer_.label() + " + ReLU: gradOutput has shape " + gradOutput.shape().str() +
                     ", expected the output shape " + output_.shape().str());
  if (bf16()) {
    maskedGrad_.resize(gradOutput.shape(), DType::BF16);
    return backend::reluMaskToBf16(output_, gradOutput, maskedGrad_);
  }
  maskedGrad_.resize(gradOutput.shape(), DType::F32);
  reluMask_->backward(output_, gradOutput, maskedGrad_);
}

void FusedLinearStep::addParameterGradients(const Tensor& input) {
  // an f32 input of a bf16 step was rounded into the layer's inputBf16_ by this pass's forward
  const Tensor& x = bf16() && input.dtype() != DType::BF16 ? layer_.inputBf16_ : input;
  layer_.addParameterGradients(*matmul_, x, maskedGrad_);
  layer_.gradientsReady();
}

// gradOutput [N, Out] -> gradInput [N, In]; the Linear's gradients += (or =) their share, first,
// so that they can travel while the input gradient is computed
const Tensor& FusedLinearStep::backward(const Tensor& input, const Tensor& gradOutput) {
  maskGradient(gradOutput);
  addParameterGradients(input);
  gradInput_.resize(input.shape(), input.dtype());
  matmul_->backwardData(maskedGrad_, bf16() ? layer_.bf16Weight(false) : layer_.weight_,
                        gradInput_);
  return gradInput_;
}

void FusedLinearStep::backwardParameters(const Tensor& input, const Tensor& gradOutput) {
  maskGradient(gradOutput);
  addParameterGradients(input);
}

}  // namespace shoal::nn
