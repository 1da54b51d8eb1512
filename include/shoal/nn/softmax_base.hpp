// SoftMaxBase: the shared base of SoftMax and LogSoftMax over dimension 1 (the backend's SoftmaxOp).
#pragma once
#include <memory>

#include "shoal/backend/softmax_op.hpp"
#include "shoal/nn/module.hpp"

namespace shoal::nn {

// Normalises over dimension 1 of the input: the classes C of [N, C] (the usual case), the
// channels of [N, C, H, W] at each spatial position (Torch's spatial SoftMax / LogSoftMax).
// Subclasses name the layer (typeName) and choose softmax or its logarithm.
class SoftMaxBase : public Module {
 public:
  SoftMaxBase(SoftMaxBase&&) = default;

  // Any per-sample shape of rank >= 1; the output has the input's shape.
  Shape outputShape(const Shape& inputShape) const override;
  int64_t flops(std::span<const Shape>, const Shape& out) const override { return 3 * out.numel(); }

 protected:
  // `log`: log-softmax instead of softmax.
  explicit SoftMaxBase(bool log);

  void updateOutput(const Tensor& input) override;
  // Computed from the output alone.
  void updateGradInput(const Tensor& input, const Tensor& gradOutput) override;

 private:
  std::unique_ptr<backend::SoftmaxOp> softmax_;
};

}  // namespace shoal::nn
