// JoinTable: concatenation along one sample dimension, and the split of the gradient back.
#include "shoal/nn/join_table.hpp"

#include <cstring>

#include "shoal/error.hpp"
#include "shoal/nn/layer_registry.hpp"

namespace shoal::nn {

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

// inputs [N, ..., d_i, ...] -> output [N, ..., sum d_i, ...]
void JoinTable::updateTableOutput(std::span<const Tensor* const> inputs) {
  Shape sample = inputs[0]->shape().tail();
  for (size_t i = 1; i < inputs.size(); ++i) sample[static_cast<size_t>(dimension_ - 1)] += inputs[i]->dim(static_cast<size_t>(dimension_));
  output_.resize(sample.withBatch(inputs[0]->dim(0)));
  const int64_t outer = outerCount(output_), outInner = innerCount(output_);
  int64_t offset = 0;
  for (const Tensor* in : inputs) {
    const int64_t inner = innerCount(*in);
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(output_.data() + o * outInner + offset, in->data() + o * inner, sizeof(float) * inner);
    offset += inner;
  }
}

void JoinTable::updateTableGradInputs(std::span<const Tensor* const> inputs, const Tensor& gradOutput) {
  const int64_t outer = outerCount(gradOutput), outInner = innerCount(gradOutput);
  int64_t offset = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor& g = gradInputs_[i];
    g.resize(inputs[i]->shape());
    const int64_t inner = innerCount(g);
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(g.data() + o * inner, gradOutput.data() + o * outInner + offset, sizeof(float) * inner);
    offset += inner;
  }
}

SHOAL_REGISTER_LAYER(JoinTable, {"JoinTable", {"dimension"}, [](const LayerArgs& a) {
  return std::make_unique<JoinTable>(a.integer("dimension", 1));
}});

}  // namespace shoal::nn
