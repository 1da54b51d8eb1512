// CAddTable: element-wise sum of the inputs (a ReLU after it fused in: AddReluStep); the gradient passes unchanged to each.
#include "shoal/nn/cadd_table.hpp"

#include "add_relu_step.hpp"
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
  sumInto(inputs, output_, false);
}

void CAddTable::sumInto(std::span<const Tensor* const> inputs, Tensor& output, bool relu) {
  const DType type = outputBf16_ && precision_ == Precision::BF16 ? DType::BF16 : DType::F32;
  for (size_t i = 1; i < inputs.size(); ++i)
    if (inputs[i]->layout() != inputs[0]->layout())
      throw UsageError(label() + ": input " + std::to_string(i + 1) + " is " +
                       std::string(layoutName(inputs[i]->layout())) + ", input 1 " +
                       std::string(layoutName(inputs[0]->layout())) + " (the inputs must share a layout)");
  output.resize(inputs[0]->shape(), type);
  output.setLayout(inputs[0]->layout());
  // the inputs but the last summed in f32 (in the output itself where it is f32), then the last
  // added (and the ReLU applied) in one pass that writes the output
  const Tensor* head = inputs[0];
  if (inputs.size() > 2) {
    if (type != DType::F32) partialSum_.resize(inputs[0]->shape(), DType::F32);
    Tensor& partial = type == DType::F32 ? output : partialSum_;
    backend::add(*inputs[0], *inputs[1], partial);
    for (size_t k = 2; k + 1 < inputs.size(); ++k) backend::add(partial, *inputs[k], partial);
    head = &partial;
  }
  if (relu) return backend::addRelu(*head, *inputs.back(), output);
  backend::add(*head, *inputs.back(), output);
}

void CAddTable::sumWithRelu(std::span<const Tensor* const> inputs, Tensor& output) {
  checkInputs(inputs);
  sumInto(inputs, output, true);
}

void CAddTable::updateTableGradInputs(std::span<const Tensor* const>, const Tensor& gradOutput) {
  for (Tensor& g : gradInputs_) g = gradOutput;
}

void CAddTable::reluGradient(const Tensor& output, std::span<const Tensor* const> parts,
                             Tensor& gradient) const {
  if (parts.empty() || parts.size() > 2)
    throw UsageError(label() + ": the fused ReLU's gradient takes 1 or 2 parts, got " +
                     std::to_string(parts.size()));
  for (const Tensor* part : parts) checkGradOutput(*part, output);
  gradient.resize(output.shape(), DType::F32);
  gradient.setLayout(output.layout());
  if (parts.size() == 2) return backend::reluBackward(output, *parts[0], *parts[1], gradient);
  backend::reluBackward(output, *parts[0], gradient);
}

std::unique_ptr<PlanStep> CAddTable::fuse(std::span<const Epilogue> following) {
  if (following.empty() || following[0].kind != Epilogue::Kind::Relu) return nullptr;
  return std::make_unique<AddReluStep>(*this);
}

SHOAL_REGISTER_LAYER(CAddTable, {"CAddTable", {}, [](const LayerArgs&) { return std::make_unique<CAddTable>(); }});

}  // namespace shoal::nn
