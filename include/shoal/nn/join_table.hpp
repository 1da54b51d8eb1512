// JoinTable: the concatenation of two or more inputs along one dimension of the sample (BigDL's JoinTable).
#pragma once
#include "shoal/nn/table_module.hpp"

namespace shoal::nn {

// `dimension` counts from 1 over the per-sample shape (1: the channels of [C, H, W] samples or
// the features of [F] samples). Inputs must agree on every other extent; the output's extent
// along `dimension` is the sum of theirs. Backward copies each input's slice of the gradient.
// Element types: the output is bf16 when every input is (bf16 Embedding rows feeding a bf16
// Linear), else f32 (a bf16 input widened); each input's gradient has that input's element type
// (its slice of the output gradient rounded or widened where the two differ).
class JoinTable : public TableModule {
 public:
  explicit JoinTable(int64_t dimension = 1);
  JoinTable(JoinTable&&) = default;

  int64_t dimension() const { return dimension_; }
  std::string typeName() const override { return "JoinTable"; }
  nlohmann::json spec() const override;
  std::string describe() const override;
  int64_t flops(std::span<const Shape>, const Shape&) const override { return 0; }
  // bf16 inputs come out bf16: a bf16 producer before it writes bf16 for a bf16 reader after it.
  bool passesElementType() const override { return true; }

 protected:
  Shape tableOutputShape(std::span<const Shape> inputShapes) const override;
  void updateTableOutput(std::span<const Tensor* const> inputs) override;
  void updateTableGradInputs(std::span<const Tensor* const> inputs, const Tensor& gradOutput) override;

 private:
  // Elements before `dimension` in a batch of `batch` samples of `sample` (the outer count) and
  // from it on (the inner run each input contributes per outer index).
  int64_t outerCount(const Tensor& t) const;
  int64_t innerCount(const Tensor& t) const;

  int64_t dimension_;
};

}  // namespace shoal::nn
