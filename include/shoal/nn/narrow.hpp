// Narrow: a contiguous run of a sample's features (BigDL's Narrow on dimension 2), the way a table model splits its input row.
#pragma once
#include <cstdint>

#include "shoal/nn/module.hpp"

namespace shoal::nn {

// Input [N, F] (f32) -> output [N, length], output[n, j] = input[n, offset + j].
// Backward: gradInput [N, F] is zero outside the run and the output gradient inside it.
// The run [offset, offset + length) must lie inside [0, F) (ShapeError naming the layer).
class Narrow : public Module {
 public:
  // offset >= 0, length > 0.
  Narrow(int64_t offset, int64_t length);
  Narrow(Narrow&&) = default;

  int64_t offset() const { return offset_; }
  int64_t length() const { return length_; }

  Shape outputShape(const Shape& inputShape) const override;
  std::string typeName() const override { return "Narrow"; }
  nlohmann::json spec() const override;
  std::string describe() const override;
  int64_t flops(std::span<const Shape>, const Shape&) const override { return 0; }

 protected:
  void updateOutput(const Tensor& input) override;
  void updateGradInput(const Tensor& input, const Tensor& gradOutput) override;

 private:
  int64_t offset_, length_;
};

}  // namespace shoal::nn
