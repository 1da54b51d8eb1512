// CAddTable: the element-wise sum of two or more inputs of one shape (BigDL's CAddTable; a residual connection's add).
#pragma once
#include "shoal/nn/table_module.hpp"

namespace shoal::nn {

// Inputs [N, ...] x k (one shape) -> output [N, ...] = their sum; each input's gradient is the
// output's gradient itself (shared, not copied).
class CAddTable : public TableModule {
 public:
  CAddTable() = default;
  CAddTable(CAddTable&&) = default;

  std::string typeName() const override { return "CAddTable"; }
  int64_t flops(std::span<const Shape> in, const Shape& out) const override {
    return static_cast<int64_t>(in.size() - 1) * out.numel();
  }

 protected:
  Shape tableOutputShape(std::span<const Shape> inputShapes) const override;
  void updateTableOutput(std::span<const Tensor* const> inputs) override;
  void updateTableGradInputs(std::span<const Tensor* const> inputs, const Tensor& gradOutput) override;
};

}  // namespace shoal::nn
