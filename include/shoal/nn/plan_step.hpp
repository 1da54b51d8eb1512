// PlanStep: one unit of an execution plan, a module run alone or a module with the epilogues it absorbed.
#pragma once
#include <cstddef>
#include <span>

#include "shoal/tensor/tensor.hpp"

namespace shoal::nn {

// Runs `modules()` consecutive modules of a chain as one pass: forward from the input of the
// first to the output of the last, backward from the gradient of the last output to the gradient
// of the first input. Buffers are sized on the first batch and reused.
class PlanStep {
 public:
  virtual ~PlanStep() = default;
  // How many modules of the chain this step computes (1 + the epilogues it absorbed).
  virtual size_t modules() const = 0;
  virtual const Tensor& forward(const Tensor& input) = 0;
  // Returns the gradient with respect to `input`; adds the parameter gradients.
  virtual const Tensor& backward(const Tensor& input, const Tensor& gradOutput) = 0;
  // Adds the parameter gradients only (the first learnable step of a training pass).
  virtual void backwardParameters(const Tensor& input, const Tensor& gradOutput) = 0;
  // A graph's entry: forward from all the inputs of the first module (a table's several, as
  // AddReluStep takes them), backward from the output gradient given as the sum of
  // `gradientParts()` or fewer parts, to a gradient per input. The defaults take one input and
  // one part, through forward and backward.
  virtual const Tensor& forwardInputs(std::span<const Tensor* const> inputs);
  virtual std::span<const Tensor> backwardInputs(std::span<const Tensor* const> inputs,
                                                 std::span<const Tensor* const> gradOutputParts);
  // How many parts of the output gradient backwardInputs takes and sums in its own pass (more
  // are summed by the caller first).
  virtual size_t gradientParts() const { return 1; }
  // Whether the step can write its output in bf16 (a bf16 step), and the plan's request to do
  // so when the next step reads bf16; the output gradient then comes in bf16 too.
  virtual bool canOutputBf16() const { return false; }
  virtual void setOutputBf16(bool bf16) {}
  // Whether the step reads a channels-last input (its input gradient then channels-last too).
  virtual bool acceptsChannelsLastInput() const { return false; }
  // Whether the step can write its output channels-last (a convolution's), and the request to.
  virtual bool canOutputChannelsLast() const { return false; }
  virtual void setOutputChannelsLast(bool channelsLast) {}
};

}  // namespace shoal::nn
