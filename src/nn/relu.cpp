// ReLU: bf16 activations through backend::relu, f32 ones through ElementwiseActivation; registration of the layer type.
#include "shoal/nn/relu.hpp"

#include "shoal/backend/vector_kernels.hpp"
#include "shoal/nn/layer_registry.hpp"

namespace shoal::nn {

// input [...] (f32 or bf16) -> output [...] (bf16 where the container asked)
void ReLU::updateOutput(const Tensor& input) {
  const DType type = outputBf16_ && precision_ == Precision::BF16 ? DType::BF16 : DType::F32;
  if (input.dtype() == DType::F32 && type == DType::F32)
    return ElementwiseActivation::updateOutput(input);
  output_.resize(input.shape(), type);
  output_.setLayout(input.layout());
  backend::relu(input, output_);
}

// gradOutput [...] (f32 or bf16) -> gradInput [...] (f32)
void ReLU::updateGradInput(const Tensor& input, const Tensor& gradOutput) {
  if (output_.dtype() == DType::F32 && gradOutput.dtype() == DType::F32)
    return ElementwiseActivation::updateGradInput(input, gradOutput);
  gradInput_.resize(input.shape(), DType::F32);
  gradInput_.setLayout(input.layout());
  backend::reluBackward(output_, gradOutput, gradInput_);
}

SHOAL_REGISTER_LAYER(ReLU, {"ReLU", {}, [](const LayerArgs&) { return std::make_unique<ReLU>(); }});

}  // namespace shoal::nn
