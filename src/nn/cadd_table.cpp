// CAddTable: element-wise sum of the inputs; the gradient passes unchanged to each.
#include "shoal/nn/cadd_table.hpp"

#include "shoal/backend/vector_kernels.hpp"
#include "shoal/error.hpp"
#include "shoal/nn/layer_registry.hpp"

namespace shoal::nn {

Shape CAddTable::tableOutputShape(std::span<const Shape> in) const {
  for (size_t i = 1; i < in.size(); ++i)
    if (!(in[i] == in[0]))
      throw ShapeError(label() + ": input " + std::to_string(i + 1) + " has samples of shape " +
                       in[i].str() + ", expected the shape of input 1, " + in[0].str());
  return in[0];
}

// inputs [N, ...] x k (f32 or bf16) -> output [N, ...] (bf16 where the container asked)
void CAddTable::updateTableOutput(std::span<const Tensor* const> inputs) {
  const DType type = outputBf16_ && precision_ == Precision::BF16 ? DType::BF16 : DType::F32;
  bool allF32 = type == DType::F32;
  for (const Tensor* in : inputs) allF32 = allF32 && in->dtype() == DType::F32;
  output_.resize(inputs[0]->shape(), type);
  for (size_t i = 1; i < inputs.size(); ++i)
    if (inputs[i]->layout() != inputs[0]->layout())
      throw UsageError(label() + ": input " + std::to_string(i + 1) + " is " +
                       std::string(layoutName(inputs[i]->layout())) + ", input 1 " +
                       std::string(layoutName(inputs[0]->layout())) + " (the inputs must share a layout)");
  output_.setLayout(inputs[0]->layout());
  if (!allF32) {
    if (inputs.size() == 2) return backend::add(*inputs[0], *inputs[1], output_);
    partialSum_.resize(inputs[0]->shape(), DType::F32);
    backend::add(*inputs[0], *inputs[1], partialSum_);
    for (size_t k = 2; k + 1 < inputs.size(); ++k) backend::add(partialSum_, *inputs[k], partialSum_);
    return backend::add(partialSum_, *inputs.back(), output_);
  }
  float* out = output_.data();
  const int64_t n = output_.numel();
  backend::add(inputs[0]->data(), inputs[1]->data(), out, n);
  for (size_t k = 2; k < inputs.size(); ++k) backend::add(out, inputs[k]->data(), out, n);
}

void CAddTable::updateTableGradInputs(std::span<const Tensor* const>, const Tensor& gradOutput) {
  for (Tensor& g : gradInputs_) g = gradOutput;
}

SHOAL_REGISTER_LAYER(CAddTable, {"CAddTable", {}, [](const LayerArgs&) { return std::make_unique<CAddTable>(); }});

}  // namespace shoal::nn
