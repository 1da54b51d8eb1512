// BatchNormOp on shoal's own passes over plain NCHW tensors (oneDNN 2.6 has no vectorised batch
// normalisation for the plain layout): checks, and the choice of instruction set.
#include "batch_norm.hpp"

#include "batch_norm_kernels.hpp"
#include "cpu_features.hpp"

namespace shoal::backend::cpu {
BatchNorm::BatchNorm(double eps, bool affine) : eps_(static_cast<float>(eps)), affine_(affine) {}

// src [N, C, H, W] -> the pass over [N, C, H x W] with this layer's scale and shift.
BatchNormPass BatchNorm::pass(const Tensor& src, const Tensor& weight, const Tensor& bias,
                              bool relu) const {
  const Shape& d = src.shape();
  BatchNormPass p{.n = d[0], .c = d[1], .s = d[2] * d[3], .eps = eps_, .relu = relu};
  if (affine_) {
    p.weight = weight.data();
    p.bias = bias.data();
  }
  return p;
}

void BatchNorm::forwardTraining(const Tensor& src, const Tensor& weight, const Tensor& bias,
                                Tensor& dst, Tensor& mean, Tensor& variance, bool relu) {
  const BatchNormPass p = pass(src, weight, bias, relu);
  if (hasAvx512())
    normaliseWithBatchStatisticsAvx512(p, src.data(), dst.data(), mean.data(), variance.data());
  else
    normaliseWithBatchStatistics(p, src.data(), dst.data(), mean.data(), variance.data());
}

void BatchNorm::forwardInference(const Tensor& src, const Tensor& weight, const Tensor& bias,
                                 const Tensor& mean, const Tensor& variance, Tensor& dst,
                                 bool relu) {
  const BatchNormPass p = pass(src, weight, bias, relu);
  if (hasAvx512())
    normaliseWithGivenStatisticsAvx512(p, src.data(), mean.data(), variance.data(), dst.data());
  else
    normaliseWithGivenStatistics(p, src.data(), mean.data(), variance.data(), dst.data());
}

void BatchNorm::backward(const Tensor& src, const Tensor& gradDst, const Tensor* reluDst,
                         const Tensor& weight, const Tensor& bias, const Tensor& mean,
                         const Tensor& variance, bool batchStatistics, Tensor& gradSrc,
                         Tensor& gradWeight, Tensor& gradBias) {
  const BatchNormPass p = pass(src, weight, bias, false);
  const float* y = reluDst ? reluDst->data() : nullptr;
  float* gw = affine_ ? gradWeight.data() : nullptr;
  float* gb = affine_ ? gradBias.data() : nullptr;
  if (hasAvx512())
    batchNormBackwardAvx512(p, src.data(), gradDst.data(), y, mean.data(), variance.data(),
                            batchStatistics, gradSrc.data(), gw, gb);
  else
    batchNormBackward(p, src.data(), gradDst.data(), y, mean.data(), variance.data(),
                      batchStatistics, gradSrc.data(), gw, gb);
}

}  // namespace shoal::backend::cpu
