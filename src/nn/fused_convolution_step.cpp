// FusedConvolutionStep: convolution + ReLU + max pooling forward in one pass, backward through the pooling's routing.
#include "fused_convolution_step.hpp"

#include "shoal/backend/backend.hpp"
#include "shoal/error.hpp"
#include "shoal/nn/spatial_pooling.hpp"

namespace shoal::nn {

FusedConvolutionStep::FusedConvolutionStep(SpatialConvolution& layer, Epilogues epilogues)
    : layer_(layer), epilogues_(std::move(epilogues)),
      conv_(backend::current().makeConvolution(layer.geometry())),
      reluMask_(backend::current().makeEltwise(backend::Activation::Relu)) {
  conv_->setComputeType(layer.precision() == Precision::BF16 ? DType::BF16 : DType::F32);
  conv_->fuseRelu(epilogues_.relu);
  if (epilogues_.maxPooling) conv_->fuseMaxPooling(*epilogues_.maxPooling);
}

void FusedConvolutionStep::setOutputChannelsLast(bool channelsLast) {
  const Layout layout = channelsLast && canOutputChannelsLast() ? Layout::ChannelsLast : Layout::Plain;
  if (layout == outputLayout_) return;
  outputLayout_ = layout;
  conv_->setOutputLayout(layout);
}

Shape FusedConvolutionStep::outputShape(const Shape& sample) const {
  Shape conv = layer_.outputShape(sample);
  if (!epilogues_.maxPooling) return conv;
  return pooledSampleShape(*epilogues_.maxPooling, conv, epilogues_.poolingLabel);
}

// input [N, In, H, W] -> output [N, Out, OH, OW], or [N, Out, PH, PW] with a fused pooling
const Tensor& FusedConvolutionStep::forward(const Tensor& input) {
  if (input.rank() == 0) throw ShapeError(layer_.label() + ": input must have a batch dimension");
  output_.resize(outputShape(input.shape().tail()).withBatch(input.dim(0)),
                 outputBf16_ && canOutputBf16() ? DType::BF16 : DType::F32);
  output_.setLayout(outputLayout_);
  conv_->forward(input, layer_.weight(), layer_.bias(), output_);
  return output_;
}

const Tensor& FusedConvolutionStep::productGrad(const Tensor& gradOutput) {
  if (gradOutput.shape() != output_.shape())
    throw ShapeError(layer_.label() + " (fused): gradOutput has shape " + gradOutput.shape().str() +
                     ", expected the output shape " + output_.shape().str());
  if (!epilogues_.relu || epilogues_.maxPooling) return gradOutput;
  maskedGrad_.resize(gradOutput.shape());
  maskedGrad_.setLayout(gradOutput.layout());
  reluMask_->backward(output_, gradOutput, maskedGrad_);
  return maskedGrad_;
}

// gradOutput (pooled or not) -> gradInput [N, In, H, W]; the layer's gradients += their share,
// first, so that they can travel while the input gradient is computed
const Tensor& FusedConvolutionStep::backward(const Tensor& input, const Tensor& gradOutput) {
  const Tensor& grad = productGrad(gradOutput);
  conv_->backwardWeights(input, grad, layer_.gradWeight(), layer_.gradBias());
  layer_.gradientsReady();
  gradInput_.resize(input.shape(), input.dtype());
  gradInput_.setLayout(input.layout());
  conv_->backwardData(grad, layer_.weight(), gradInput_);
  return gradInput_;
}

void FusedConvolutionStep::backwardParameters(const Tensor& input, const Tensor& gradOutput) {
  conv_->backwardWeights(input, productGrad(gradOutput), layer_.gradWeight(), layer_.gradBias());
  layer_.gradientsReady();
}

}  // namespace shoal::nn
