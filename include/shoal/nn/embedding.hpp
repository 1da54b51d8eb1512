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
// In a bf16 model it stays f32 (bf16 does not pay here): bf16 rows gathered from the optimiser's
// bf16 copy for a bf16 Linear were measured on the tabular model (embeddings of 39-50 columns
// into Linear(227 -> 1000), batch 128) at 183-187k samples/s against 188-190k for f32 rows that
// the Linear rounds itself: the rows are a few hundred bytes per sample next to the product's
// megaflops, so the reader's rounding pass costs nothing measurable.
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

  // bf16 applies but does not pay (above): precisionChanged keeps f32, and summaries say so.
  bool hasBf16Path() const override { return true; }

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
  void precisionChanged() override { precision_ = Precision::F32; }

 private:
  // Throws InputError for the first index of `input` that is not a whole number in [0, count).
  void checkIndices(const Tensor& input) const;

  int64_t count_, dim_, padding_;
  Tensor weight_, gradWeight_;
};

}  // namespace shoal::nn
