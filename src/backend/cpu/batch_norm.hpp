// BatchNormOp over plain NCHW tensors with shoal's own passes: training, inference and backward.
#pragma once
#include "shoal/backend/batch_norm_op.hpp"

namespace shoal::backend::cpu {

struct BatchNormPass;

// Nothing is kept between calls but eps and whether the layer is affine (see BatchNormOp).
class BatchNorm final : public BatchNormOp {
 public:
  BatchNorm(double eps, bool affine);

  void forwardTraining(const Tensor& src, const Tensor& weight, const Tensor& bias, Tensor& dst,
                       Tensor& mean, Tensor& variance, bool relu) override;
  void forwardInference(const Tensor& src, const Tensor& weight, const Tensor& bias,
                        const Tensor& mean, const Tensor& variance, Tensor& dst,
                        bool relu) override;
  void backward(const Tensor& src, const Tensor& gradDst, const Tensor* reluDst,
                const Tensor& weight, const Tensor& bias, const Tensor& mean,
                const Tensor& variance, bool batchStatistics, Tensor& gradSrc, Tensor& gradWeight,
                Tensor& gradBias) override;

 private:
  BatchNormPass pass(const Tensor& src, const Tensor& weight, const Tensor& bias, bool relu) const;

  float eps_;
  bool affine_;
};

}  // namespace shoal::backend::cpu
