// BatchNormOp on oneDNN batch normalisation over NCHW tensors: training, inference and backward.
#pragma once
#include <memory>

#include "shoal/backend/batch_norm_op.hpp"

namespace shoal::backend::cpu {

// Primitives are made once per shape and mode and reused (see BatchNormOp).
class BatchNorm final : public BatchNormOp {
 public:
  BatchNorm(double eps, bool affine);
  ~BatchNorm() override;

  void forwardTraining(const Tensor& src, const Tensor& weight, const Tensor& bias, Tensor& dst,
                       Tensor& mean, Tensor& variance) override;
  void forwardInference(const Tensor& src, const Tensor& weight, const Tensor& bias,
                        const Tensor& mean, const Tensor& variance, Tensor& dst) override;
  void backward(const Tensor& src, const Tensor& gradDst, const Tensor& weight, const Tensor& bias,
                const Tensor& mean, const Tensor& variance, bool batchStatistics, Tensor& gradSrc,
                Tensor& gradWeight, Tensor& gradBias) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shoal::backend::cpu
