// ReLU: max(0, x), element-wise on inputs of any rank (the backend's EltwiseOp; bf16 activations through backend::relu).
#pragma once
#include "shoal/nn/elementwise_activation.hpp"

namespace shoal::nn {

// In bf16 precision it reads a bf16 input as it is and writes bf16 where the container asks
// (setOutputBf16); its input gradient is f32 (the output gradient masked by output > 0).
class ReLU : public ElementwiseActivation {
 public:
  ReLU() : ElementwiseActivation(backend::Activation::Relu) {}
  ReLU(ReLU&&) = default;

  bool hasBf16Path() const override { return true; }
  bool acceptsBf16Input() const override { return precision_ == Precision::BF16; }
  bool canOutputBf16() const override { return precision_ == Precision::BF16; }
  void setOutputBf16(bool bf16) override { outputBf16_ = bf16; }

  std::string typeName() const override { return "ReLU"; }
  // A ReLU can run inside a Linear or convolution step before it.
  std::optional<Epilogue> asEpilogue() const override {
    Epilogue e;
    e.kind = Epilogue::Kind::Relu;
    return e;
  }

 protected:
  // f32 in and out: the EltwiseOp, as in f32 precision; bf16 on either side: backend::relu.
  void updateOutput(const Tensor& input) override;
  void updateGradInput(const Tensor& input, const Tensor& gradOutput) override;

 private:
  bool outputBf16_ = false;  // bf16 precision: the output is bf16
};

}  // namespace shoal::nn
