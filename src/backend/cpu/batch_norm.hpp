// Batch normalisation on oneDNN over NCHW tensors: training, inference and backward.
#pragma once
#include <memory>

#include "shoal/tensor/tensor.hpp"

namespace shoal::backend::cpu {

// Tensors are [N, C, H, W] (a [N, C] batch is [N, C, 1, 1]); weight (scale), bias (shift),
// mean and variance are [C]. Without `affine` the weight and bias arguments are ignored.
// Primitives are made once per shape and mode and reused.
class BatchNorm {
 public:
  BatchNorm(double eps, bool affine);
  ~BatchNorm();
  BatchNorm(BatchNorm&&) noexcept;
  BatchNorm& operator=(BatchNorm&&) noexcept;

  // dst = weight * (src - mean) / sqrt(var + eps) + bias with the batch's mean and biased
  // variance, which are written to `mean` and `variance`.
  void forwardTraining(const Tensor& src, const Tensor& weight, const Tensor& bias, Tensor& dst,
                       Tensor& mean, Tensor& variance);
  // The same with the given statistics (running estimates).
  void forwardInference(const Tensor& src, const Tensor& weight, const Tensor& bias,
                        const Tensor& mean, const Tensor& variance, Tensor& dst);
  // gradSrc from gradDst, adding the weight and bias gradients into gradWeight and gradBias.
  // `mean`/`variance` are the statistics the forward pass used: the batch's (batchStatistics)
  // or given ones, which are then constants.
  void backward(const Tensor& src, const Tensor& gradDst, const Tensor& weight, const Tensor& bias,
                const Tensor& mean, const Tensor& variance, bool batchStatistics, Tensor& gradSrc,
                Tensor& gradWeight, Tensor& gradBias);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shoal::backend::cpu
