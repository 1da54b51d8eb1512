// Comparing a fused model with its unfused twin: the same outputs and gradients, bit for bit.
#pragma once
#include "shoal/nn/module.hpp"

namespace shoal::testing {

// Forward and backward of both models twice (the second pass reuses every buffer), in training
// and in evaluation: outputs, input gradients and parameter gradients equal bit for bit.
void expectSameRuns(nn::Module& fused, nn::Module& unfused, const Tensor& x, const Tensor& g);

}  // namespace shoal::testing
