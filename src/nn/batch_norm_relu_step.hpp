// BatchNormReluStep: a batch normalisation and the ReLU after it in the same passes over the data.
#pragma once
#include "shoal/nn/batch_normalization.hpp"
#include "shoal/nn/plan_step.hpp"

namespace shoal::nn {

// Forward: output = max(0, batchnorm(input)), the ReLU's output, written in the pass that
// normalises (no separate pass over the activations). Backward takes the gradient with respect
// to that output and masks it by output > 0 inside the normalisation's own backward passes.
// The results are those of the two modules run one after the other. A channels-last input gives
// a channels-last output and input gradient, as the layer's own forward and backward do.
class BatchNormReluStep : public PlanStep {
 public:
  explicit BatchNormReluStep(BatchNormalization& layer) : layer_(layer) {}

  size_t modules() const override { return 2; }
  const Tensor& forward(const Tensor& input) override {
    layer_.normalise(input, output_, true);
    return output_;
  }
  const Tensor& backward(const Tensor& input, const Tensor& gradOutput) override {
    layer_.normaliseBackward(input, gradOutput, &output_, gradInput_);
    layer_.gradientsReady();  // to a gradient listener, as the layer's own backward would
    return gradInput_;
  }
  // The parameter gradients come with the input gradient's passes.
  void backwardParameters(const Tensor& input, const Tensor& gradOutput) override {
    backward(input, gradOutput);
  }
  // In bf16 precision the output (the ReLU's) is bf16 where the next module reads bf16.
  bool canOutputBf16() const override { return layer_.canOutputBf16(); }
  bool acceptsChannelsLastInput() const override { return layer_.acceptsChannelsLastInput(); }
  void setOutputBf16(bool bf16) override { layer_.setOutputBf16(bf16); }

 private:
  BatchNormalization& layer_;
  Tensor output_, gradInput_;
};

}  // namespace shoal::nn
