// PlanStep's defaults for a graph's entry: one input and one part of the output gradient, through forward and backward.
#include "shoal/nn/plan_step.hpp"

#include <string>

#include "shoal/error.hpp"

namespace shoal::nn {

const Tensor& PlanStep::forwardInputs(std::span<const Tensor* const> inputs) {
  if (inputs.size() != 1)
    throw UsageError("a fused step of one input was given " + std::to_string(inputs.size()));
  return forward(*inputs[0]);
}

std::span<const Tensor> PlanStep::backwardInputs(std::span<const Tensor* const> inputs,
                                                 std::span<const Tensor* const> gradOutputParts) {
  if (inputs.size() != 1 || gradOutputParts.size() != 1)
    throw UsageError("a fused step of one input and one output gradient was given " +
                     std::to_string(inputs.size()) + " and " + std::to_string(gradOutputParts.size()));
  return {&backward(*inputs[0], *gradOutputParts[0]), 1};
}

}  // namespace shoal::nn
