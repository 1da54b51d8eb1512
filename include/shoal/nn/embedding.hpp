// Embedding: a lookup table of learnable row vectors indexed by integer codes (BigDL's LookupTable, PyTorch's nn.Embedding).
#pragma once
#include <cstdint>

#include "shoal/nn/module.hpp"

namespace shoal::nn {

// Input [N, ...] of indices in [0, count): I64 or I32, or F32 holding whole numbers (CSV columns
// of category codes arrive as floats) -> output [N, ..., dim] (the input's shape plus [dim]),
// output[n, l, :] = weight[index[n, l], :]. Weight [count, dim], initialised N(0, 1) like
// PyTorch, with the padding row (if any) set to zero.
// Backward: the weight gradient accumulates by scatter-add (PyTorch's padding_idx: the padding
// row gets no gradient); indices have no gradient, so gradInput is an F32 zero tensor of the
// input's shape (a container before it still gets a gradient of the right shape).
// An index outside [0, count), or a float that is not a whole number, throws InputError naming
// the layer, the position in the batch, the value and the valid range, before anything is written.
// FLOPs: 0 — a gather copies rows and computes nothing.
// In bf16 precision the output is bf16 when the container asks (setOutputBf16: the consumer
// reads bf16): rows are gathered from the weights' slice of the flat bf16 copy the optimiser
// writes in its update pass (rounded from the f32 rows when the model has none), the same values
// the consumer would round them to. The output gradient may then be bf16; the scatter-add into
// the f32 weight gradient widens it. Otherwise the output stays f32, as in f32 precision.
class Embedding : public Module {
 public:
  // count > 0 rows of dim > 0 elements; paddingIndex in [0, count), or -1 for none.
  Embedding(int64_t count, int64_t dim, int64_t paddingIndex = -1);
  Embedding(Embedding&&) = default;

  int64_t count() const { return count_; }
  int64_t dim() const { return dim_; }
  int64_t paddingIndex() const { return padding_; }  // -1: none
  Tensor& weight() { return weight_; }
  Tensor& gradWeight() { return gradWeight_; }

  bool hasBf16Path() const override { return true; }
  bool canOutputBf16() const override { return precision_ == Precision::BF16; }
  void setOutputBf16(bool bf16) override { outputBf16_ = bf16; }

  Shape outputShape(const Shape& inputShape) const override;
  std::string typeName() const override { return "Embedding"; }
  nlohmann::json spec() const override;
  std::string describe() const override;
  int64_t flops(std::span<const Shape> in, const Shape& out) const override { return 0; }

 protected:
  void updateOutput(const Tensor& input) override;
  void updateGradInput(const Tensor& input, const Tensor& gradOutput) override;
  void accGradParameters(const Tensor& input, const Tensor& gradOutput) override;
  std::vector<Parameter> ownParameters() override;
  // Redraws the weight N(0, 1) from `gen` and zeroes the padding row.
  void resetOwn(Generator& gen) override;

 private:
  // Throws InputError for the first index of `input` that is not a whole number in [0, count).
  void checkIndices(const Tensor& input) const;

  int64_t count_, dim_, padding_;
  bool outputBf16_ = false;  // bf16 precision: the output is bf16
  Tensor weight_, gradWeight_;
  Tensor weightBf16_;  // the weights' slice of the flat bf16 copy (Parameter::lowPrecision)
  Tensor rowsF32_;     // bf16 output without a flat copy: the f32 rows before rounding
};

}  // namespace shoal::nn
