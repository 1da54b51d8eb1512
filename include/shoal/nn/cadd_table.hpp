// CAddTable: the element-wise sum of two or more inputs of one shape (BigDL's CAddTable; a residual connection's add).
#pragma once
#include "shoal/nn/table_module.hpp"

namespace shoal::nn {

// Inputs [N, ...] x k (one shape) -> output [N, ...] = their sum; each input's gradient is the
// output's gradient itself (shared, not copied). In bf16 precision the inputs may be bf16 and
// the output is bf16 where the container asks (setOutputBf16); the sum is taken in f32 and
// rounded once. The inputs share one layout, which the output and the gradients keep.
class CAddTable : public TableModule {
 public:
  CAddTable() = default;
  CAddTable(CAddTable&&) = default;

  bool hasBf16Path() const override { return true; }
  bool acceptsBf16Input() const override { return precision_ == Precision::BF16; }
  bool canOutputBf16() const override { return precision_ == Precision::BF16; }
  void setOutputBf16(bool bf16) override { outputBf16_ = bf16; }
  // Inputs all plain or all channels-last (UsageError otherwise); the output takes their layout.
  bool acceptsChannelsLastInput() const override { return true; }
  bool outputFollowsInputLayout() const override { return true; }

  std::string typeName() const override { return "CAddTable"; }
  // A ReLU right after it runs in the pass that adds (AddReluStep).
  std::unique_ptr<PlanStep> fuse(std::span<const Epilogue> following) override;
  // output = max(0, the inputs' sum), typed and laid out as the layer's own output (the fused
  // step's forward); the inputs are checked as forwardInputs checks them.
  void sumWithRelu(std::span<const Tensor* const> inputs, Tensor& output);
  // gradient (f32) = the sum of the 1 or 2 parts where that step's output > 0, else 0 (its
  // backward); ShapeError for a part not of the output's shape.
  void reluGradient(const Tensor& output, std::span<const Tensor* const> parts, Tensor& gradient) const;
  int64_t flops(std::span<const Shape> in, const Shape& out) const override {
    return static_cast<int64_t>(in.size() - 1) * out.numel();
  }

 protected:
  Shape tableOutputShape(std::span<const Shape> inputShapes) const override;
  void updateTableOutput(std::span<const Tensor* const> inputs) override;
  void updateTableGradInputs(std::span<const Tensor* const> inputs, const Tensor& gradOutput) override;

 private:
  // output = the inputs' sum, then max(0, .) with `relu`.
  void sumInto(std::span<const Tensor* const> inputs, Tensor& output, bool relu);

  bool outputBf16_ = false;  // bf16 precision: the output is bf16
  Tensor partialSum_;        // f32: the sum of all inputs but the last, more than two into a bf16 output
};

}  // namespace shoal::nn
