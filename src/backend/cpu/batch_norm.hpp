// BatchNormOp over plain (NCHW) or channels-last (NHWC) tensors with shoal's own passes: training, inference and backward.
#pragma once
#include <vector>

#include "shoal/backend/batch_norm_op.hpp"

namespace shoal::backend::cpu {

struct BatchNormPass;

// Nothing is kept between calls but eps, whether the layer is affine (see BatchNormOp) and the
// channels-last passes' scratch for per-chunk sums (sized by the first call of a shape).
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
  // The pass over src (its layout; scratch sized for a channels-last one).
  BatchNormPass pass(const Tensor& src, const Tensor& weight, const Tensor& bias, bool relu);

  float eps_;
  bool affine_;
  std::vector<double> scratch_;
};

}  // namespace shoal::backend::cpu
