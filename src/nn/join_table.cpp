// JoinTable: concatenation along one sample dimension, and the split of the gradient back.
#include "shoal/nn/join_table.hpp"

#include <cstring>

#include "shoal/error.hpp"
#include "shoal/nn/layer_registry.hpp"

namespace shoal::nn {
namespace {

// dst[0, count) = src[0, count), from and to f32 or bf16 (rounded to nearest even or widened
// exactly where the types differ).
void copyElements(const std::byte* src, DType srcType, std::byte* dst, DType dstType, int64_t count) {
  if (srcType == dstType) {
    std::memcpy(dst, src, static_cast<size_t>(count) * dtypeSize(srcType));
    return;
  }
  if (srcType == DType::BF16) {
    const auto* s = reinterpret_cast<const bfloat16*>(src);
    auto* d = reinterpret_cast<float*>(dst);
    for (int64_t i = 0; i < count; ++i) d[i] = static_cast<float>(s[i]);
  } else {
    const auto* s = reinterpret_cast<const float*>(src);
    auto* d = reinterpret_cast<bfloat16*>(dst);
    for (int64_t i = 0; i < count; ++i) d[i] = bfloat16(s[i]);
  }
}

}  // namespace

JoinTable::JoinTable(int64_t dimension) : dimension_(dimension) {
  if (dimension < 1) throw UsageError("JoinTable: the dimension counts from 1, got " + std::to_string(dimension));
}

nlohmann::json JoinTable::spec() const { return {{"type", typeName()}, {"dimension", dimension_}}; }

std::string JoinTable::describe() const { return "JoinTable(dimension " + std::to_string(dimension_) + ")"; }

Shape JoinTable::tableOutputShape(std::span<const Shape> in) const {
  const size_t d = static_cast<size_t>(dimension_ - 1);
  if (in[0].rank() <= d)
    throw ShapeError(label() + ": samples of shape " + in[0].str() + " have no dimension " +
                     std::to_string(dimension_));
  Shape out = in[0];
  for (size_t i = 1; i < in.size(); ++i) {
    bool fits = in[i].rank() == in[0].rank();
    for (size_t k = 0; fits && k < in[0].rank(); ++k) fits = k == d || in[i][k] == in[0][k];
    if (!fits)
      throw ShapeError(label() + ": input " + std::to_string(i + 1) + " has samples of shape " +
                       in[i].str() + ", which does not match input 1's " + in[0].str() +
                       " outside dimension " + std::to_string(dimension_));
    out[d] += in[i][d];
  }
  return out;
}

int64_t JoinTable::outerCount(const Tensor& t) const {
  int64_t n = 1;
  for (size_t k = 0; k < static_cast<size_t>(dimension_); ++k) n *= t.dim(k);  // batch included
  return n;
}

int64_t JoinTable::innerCount(const Tensor& t) const { return t.numel() / outerCount(t); }

// inputs [N, ..., d_i, ...] -> output [N, ..., sum d_i, ...], bf16 when every input is
void JoinTable::updateTableOutput(std::span<const Tensor* const> inputs) {
  Shape sample = inputs[0]->shape().tail();
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i]->dtype() != DType::F32 && inputs[i]->dtype() != DType::BF16)
      throw InputError(label() + ": input " + std::to_string(i + 1) + " is a " +
                       std::string(dtypeName(inputs[i]->dtype())) + " tensor; it joins f32 or bf16");
  bool allBf16 = inputs[0]->dtype() == DType::BF16;
  for (size_t i = 1; i < inputs.size(); ++i) {
    sample[static_cast<size_t>(dimension_ - 1)] += inputs[i]->dim(static_cast<size_t>(dimension_));
    allBf16 = allBf16 && inputs[i]->dtype() == DType::BF16;
  }
  output_.resize(sample.withBatch(inputs[0]->dim(0)), allBf16 ? DType::BF16 : DType::F32);
  const int64_t outer = outerCount(output_), outInner = innerCount(output_);
  const size_t outSize = output_.elementSize();
  int64_t offset = 0;
  for (const Tensor* in : inputs) {
    const int64_t inner = innerCount(*in);
    const size_t inSize = in->elementSize();
    for (int64_t o = 0; o < outer; ++o)
      copyElements(in->bytes() + o * inner * inSize, in->dtype(),
                   output_.bytes() + (o * outInner + offset) * outSize, output_.dtype(), inner);
    offset += inner;
  }
}

void JoinTable::updateTableGradInputs(std::span<const Tensor* const> inputs, const Tensor& gradOutput) {
  const int64_t outer = outerCount(gradOutput), outInner = innerCount(gradOutput);
  const size_t gradSize = gradOutput.elementSize();
  int64_t offset = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor& g = gradInputs_[i];
    g.resize(inputs[i]->shape(), inputs[i]->dtype());
    const int64_t inner = innerCount(g);
    for (int64_t o = 0; o < outer; ++o)
      copyElements(gradOutput.bytes() + (o * outInner + offset) * gradSize, gradOutput.dtype(),
                   g.bytes() + o * inner * g.elementSize(), g.dtype(), inner);
    offset += inner;
  }
}

SHOAL_REGISTER_LAYER(JoinTable, {"JoinTable", {"dimension"}, [](const LayerArgs& a) {
  return std::make_unique<JoinTable>(a.integer("dimension", 1));
}});

}  // namespace shoal::nn
