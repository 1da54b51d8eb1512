// AddReluStep: a residual addition (CAddTable) and the ReLU after it in one pass over the data each way.
#pragma once
#include <vector>

#include "shoal/nn/cadd_table.hpp"
#include "shoal/nn/plan_step.hpp"

namespace shoal::nn {

// Forward: inputs [N, ...] x k -> output = max(0, their sum), written in the pass that adds the
// last input. Backward: the output gradient, given as the sum of up to two parts (an output
// read twice, as a residual block's output is by the next block's convolution and shortcut),
// summed and masked by output > 0 in one pass; every input's gradient is that one tensor. The
// results are those of the two modules run one after the other, bit for bit.
class AddReluStep : public PlanStep {
 public:
  explicit AddReluStep(CAddTable& layer) : layer_(layer) {}

  size_t modules() const override { return 2; }
  // The table's single-input forward and backward: its ShapeError (a table is a graph node).
  const Tensor& forward(const Tensor& input) override { return layer_.forward(input); }
  const Tensor& backward(const Tensor& input, const Tensor& gradOutput) override {
    return layer_.backward(input, gradOutput);
  }
  void backwardParameters(const Tensor& input, const Tensor& gradOutput) override {
    backward(input, gradOutput);
  }

  // inputs [N, ...] x k (f32 or bf16) -> output [N, ...] (bf16 where the container asked)
  const Tensor& forwardInputs(std::span<const Tensor* const> inputs) override {
    layer_.sumWithRelu(inputs, output_);
    return output_;
  }
  // parts [N, ...] x 1 or 2 (f32 or bf16) -> one f32 gradient [N, ...] per input
  std::span<const Tensor> backwardInputs(std::span<const Tensor* const> inputs,
                                         std::span<const Tensor* const> parts) override {
    layer_.reluGradient(output_, parts, gradient_);
    gradInputs_.assign(inputs.size(), gradient_);
    return gradInputs_;
  }
  size_t gradientParts() const override { return 2; }

  bool canOutputBf16() const override { return layer_.canOutputBf16(); }
  void setOutputBf16(bool bf16) override { layer_.setOutputBf16(bf16); }
  bool acceptsChannelsLastInput() const override { return layer_.acceptsChannelsLastInput(); }

 private:
  CAddTable& layer_;
  Tensor output_, gradient_;
  std::vector<Tensor> gradInputs_;  // each a view of gradient_
};

}  // namespace shoal::nn
