// BatchNormOp: batch normalisation over NCHW tensors, plain or channels-last (training, inference and backward), as a backend does it.
#pragma once
#include "shoal/tensor/tensor.hpp"

namespace shoal::backend {

// Tensors are [N, C, H, W] (a [N, C] batch is [N, C, 1, 1]); weight (scale), bias (shift),
// mean and variance are [C]. Without `affine` the weight and bias arguments are ignored.
// src, dst and reluDst (the activations) are f32 or bf16, each as its dtype says (a bf16 dst is
// the f32 result rounded once); statistics, parameters, gradDst and the gradients are f32.
// The activation tensors (src, dst, reluDst, gradDst, gradSrc) all have src's layout: plain, or
// channels-last when src is (shoal::Layout; a [N, C] batch viewed as [N, C, 1, 1] is plain); a
// call with one in another layout throws UsageError naming it. Results do not depend on the
// thread count; the two layouts give the same results up to the order of the sums.
// A backend may prepare its work once per shape and mode and reuse it.
class BatchNormOp {
 public:
  BatchNormOp() = default;
  BatchNormOp(const BatchNormOp&) = delete;
  BatchNormOp& operator=(const BatchNormOp&) = delete;
  virtual ~BatchNormOp() = default;

  // dst = weight * (src - mean) / sqrt(var + eps) + bias with the batch's mean and biased
  // variance, which are written to `mean` and `variance`; with `relu`, max(0, .) of that (a
  // ReLU after the layer, fused).
  virtual void forwardTraining(const Tensor& src, const Tensor& weight, const Tensor& bias,
                               Tensor& dst, Tensor& mean, Tensor& variance, bool relu) = 0;
  // The same with the given statistics (running estimates).
  virtual void forwardInference(const Tensor& src, const Tensor& weight, const Tensor& bias,
                                const Tensor& mean, const Tensor& variance, Tensor& dst,
                                bool relu) = 0;
  // gradSrc from gradDst, adding the weight and bias gradients into gradWeight and gradBias.
  // `mean`/`variance` are the statistics the forward pass used: the batch's (batchStatistics)
  // or given ones, which are then constants. reluDst: the output of a forward pass with `relu`
  // (gradDst is then the ReLU's output gradient), or nullptr.
  virtual void backward(const Tensor& src, const Tensor& gradDst, const Tensor* reluDst,
                        const Tensor& weight, const Tensor& bias, const Tensor& mean,
                        const Tensor& variance, bool batchStatistics, Tensor& gradSrc,
                        Tensor& gradWeight, Tensor& gradBias) = 0;
};

}  // namespace shoal::backend
