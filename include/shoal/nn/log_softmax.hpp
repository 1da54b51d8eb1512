// LogSoftMax: log(softmax(x)) over dimension 1 (oneDNN logsoftmax).
#pragma once
#include "shoal/backend/cpu/softmax.hpp"
#include "shoal/nn/module.hpp"

namespace shoal::nn {

// Normalises over dimension 1 of the input: the classes C of [N, C] (the usual case), the
// channels of [N, C, H, W] at each spatial position (Torch's spatial LogSoftMax).
class LogSoftMax : public Module {
 public:
  LogSoftMax();
  LogSoftMax(LogSoftMax&&) = default;

  // Any per-sample shape of rank >= 1; the output has the input's shape.
  Shape outputShape(const Shape& inputShape) const override;
  std::string typeName() const override { return "LogSoftMax"; }

 protected:
  void updateOutput(const Tensor& input) override;
  // Computed from the output alone.
  void updateGradInput(const Tensor& input, const Tensor& gradOutput) override;

 private:
  backend::cpu::Softmax softmax_;
};

}  // namespace shoal::nn
