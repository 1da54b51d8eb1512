// BatchNormalization: batch normalisation of [N, C] batches (PyTorch's BatchNorm1d).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "shoal/backend/batch_norm_op.hpp"
#include "shoal/nn/module.hpp"

namespace shoal::nn {

// PyTorch semantics. Training: normalise each channel with the batch's mean and biased variance,
// then runningMean/runningVar move towards the batch's mean and unbiased variance by `momentum`.
// Evaluation: normalise with runningMean/runningVar. With `affine`, weight (gamma, init 1) and
// bias (beta, init 0) scale and shift the result. The running statistics are not parameters
// but state saved with the model (stateBuffers()). Backward computes the input gradient and
// accumulates the parameter gradients in one pass.
// In bf16 precision the layer reads a bf16 input as it is and writes its output in bf16 when the
// container asks (setOutputBf16: the next module reads bf16), as PyTorch's autocast does: the
// statistics, running estimates, parameters and their gradients stay f32, and the backward pass
// reads the bf16 input (and a fused ReLU's bf16 output) it saved. The input gradient is f32.
// A 4-d input may be channels-last (NHWC in memory): the output and the input gradient then are
// too, and the output gradient must be (UsageError otherwise).
class BatchNormalization : public Module {
 public:
  explicit BatchNormalization(int64_t nOutput, double eps = 1e-5, double momentum = 0.1,
                              bool affine = true);
  BatchNormalization(BatchNormalization&&) = default;

  Shape outputShape(const Shape& inputShape) const override;
  std::string typeName() const override { return "BatchNormalization"; }
  nlohmann::json spec() const override;
  std::string describe() const override;
  int64_t flops(std::span<const Shape>, const Shape& out) const override { return 2 * out.numel(); }
  bool hasBf16Path() const override { return true; }
  bool acceptsBf16Input() const override { return precision_ == Precision::BF16; }
  bool canOutputBf16() const override { return precision_ == Precision::BF16; }
  void setOutputBf16(bool bf16) override { outputBf16_ = bf16; }
  bool acceptsChannelsLastInput() const override { return true; }
  bool outputFollowsInputLayout() const override { return true; }

  Tensor& weight() { return weight_; }
  Tensor& bias() { return bias_; }
  Tensor& gradWeight() { return gradWeight_; }
  Tensor& gradBias() { return gradBias_; }
  Tensor& runningMean() { return runningMean_; }
  Tensor& runningVar() { return runningVar_; }

  // A ReLU right after this layer runs in the same passes (BatchNormReluStep).
  std::unique_ptr<PlanStep> fuse(std::span<const Epilogue> following) override;
  // The layer's forward into `output` (resized, in the input's layout), with max(0, .) on the
  // result when `relu`; updates the running statistics in training, as forward does.
  void normalise(const Tensor& input, Tensor& output, bool relu);
  // The layer's backward into `gradInput` (resized, in the input's layout, which gradOutput and
  // reluOutput must have too), adding the parameter gradients. reluOutput:
  // the output of normalise(..., relu = true), gradOutput then being the ReLU's output gradient;
  // nullptr otherwise.
  void normaliseBackward(const Tensor& input, const Tensor& gradOutput, const Tensor* reluOutput,
                         Tensor& gradInput);

 protected:
  std::vector<Parameter> ownParameters() override;
  std::vector<NamedBuffer> ownStateBuffers() override {
    return {{"running_mean", &runningMean_}, {"running_var", &runningVar_}};
  }
  void resetOwn(Generator& gen) override;
  // `type` names the layer in argument errors.
  BatchNormalization(const std::string& type, int64_t nOutput, double eps, double momentum,
                     bool affine);
  // The per-sample shape this layer accepts: {C}.
  virtual void checkSample(const Shape& sample) const;

  void updateOutput(const Tensor& input) override;
  void updateGradInput(const Tensor& input, const Tensor& gradOutput) override;
  // The backend computes the weight and bias gradients together with gradInput.
  void updateParameterGradients(const Tensor& input, const Tensor& gradOutput) override {
    updateGradInput(input, gradOutput);
  }

  int64_t nOutput_;
  double eps_, momentum_;
  bool affine_;

 private:
  Tensor weight_, bias_, gradWeight_, gradBias_;
  Tensor runningMean_, runningVar_;
  Tensor batchMean_, batchVar_;  // of the last training forward
  bool forwardUsedBatchStatistics_ = true;
  bool outputBf16_ = false;  // bf16 precision: the output is bf16
  Tensor gradOutputF32_;     // a bf16 output gradient widened to f32
  std::unique_ptr<backend::BatchNormOp> bn_;
};

}  // namespace shoal::nn
