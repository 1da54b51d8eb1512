// BatchNormOp on shoal's own passes over plain NCHW or channels-last tensors (oneDNN 2.6 has no
// vectorised batch normalisation for the plain layout; channels-last runs on shoal's passes too,
// so that both layouts have the fused ReLU, bf16 activations and results that do not depend on
// the thread count): checks, and the choice of instruction set.
#include "batch_norm.hpp"

#include <string>
#include <type_traits>

#include "batch_norm_kernels.hpp"
#include "cpu_features.hpp"
#include "shoal/error.hpp"

namespace shoal::backend::cpu {
BatchNorm::BatchNorm(double eps, bool affine) : eps_(static_cast<float>(eps)), affine_(affine) {}

// src [N, C, H, W] -> the pass over [N, C, H x W] (or [N x H x W, C] channels-last) with this
// layer's scale and shift.
BatchNormPass BatchNorm::pass(const Tensor& src, const Tensor& weight, const Tensor& bias,
                              bool relu) {
  const Shape& d = src.shape();
  BatchNormPass p{.n = d[0], .c = d[1], .s = d[2] * d[3], .eps = eps_, .relu = relu};
  if (affine_) {
    p.weight = weight.data();
    p.bias = bias.data();
  }
  if (src.layout() == Layout::ChannelsLast) {
    p.channelsLast = true;
    const auto size = static_cast<size_t>(channelsLastScratch(p));
    if (scratch_.size() < size) scratch_.resize(size);
    p.scratch = scratch_.data();
  }
  return p;
}

namespace {

// Every activation takes src's layout: a UsageError naming `name` when `activation` has another.
void expectLayoutOfSrc(const char* pass, const Tensor& src, const Tensor& activation,
                       const char* name) {
  if (activation.layout() == src.layout()) return;
  throw UsageError(std::string("BatchNorm ") + pass + ": " + name + " " +
                   activation.shape().str() + " is " + std::string(layoutName(activation.layout())) +
                   " but src is " + std::string(layoutName(src.layout())) +
                   " (every activation takes src's layout)");
}

// Calls run(x, y) with the elements of src and dst (null: a null float pointer), each float or
// bfloat16 as their dtype says.
template <class DstTensor, class Run>
void withActivations(const Tensor& src, DstTensor* dst, Run run) {
  auto withDst = [&](const auto* x) {
    if (dst && dst->dtype() == DType::BF16) return run(x, dst->template data<bfloat16>());
    return run(x, dst ? dst->data() : decltype(dst->data())(nullptr));
  };
  if (src.dtype() == DType::BF16) return withDst(src.data<bfloat16>());
  withDst(src.data());
}

// Whether this CPU runs the AVX-512 build for activations of these types (see
// batch_norm_kernels.hpp).
template <class X, class Y>
bool avx512For(const X*, const Y*) {
  if constexpr (std::is_same_v<X, float> && std::is_same_v<std::remove_const_t<Y>, float>)
    return hasAvx512();
  return hasAvx512Bw();
}

}  // namespace

void BatchNorm::forwardTraining(const Tensor& src, const Tensor& weight, const Tensor& bias,
                                Tensor& dst, Tensor& mean, Tensor& variance, bool relu) {
  expectLayoutOfSrc("forward", src, dst, "dst");
  const BatchNormPass p = pass(src, weight, bias, relu);
  withActivations(src, &dst, [&](const auto* x, auto* y) {
    if (avx512For(x, y))
      normaliseWithBatchStatisticsAvx512(p, x, y, mean.data(), variance.data());
    else
      normaliseWithBatchStatistics(p, x, y, mean.data(), variance.data());
  });
}

void BatchNorm::forwardInference(const Tensor& src, const Tensor& weight, const Tensor& bias,
                                 const Tensor& mean, const Tensor& variance, Tensor& dst,
                                 bool relu) {
  expectLayoutOfSrc("forward", src, dst, "dst");
  const BatchNormPass p = pass(src, weight, bias, relu);
  withActivations(src, &dst, [&](const auto* x, auto* y) {
    if (avx512For(x, y))
      normaliseWithGivenStatisticsAvx512(p, x, mean.data(), variance.data(), y);
    else
      normaliseWithGivenStatistics(p, x, mean.data(), variance.data(), y);
  });
}

void BatchNorm::backward(const Tensor& src, const Tensor& gradDst, const Tensor* reluDst,
                         const Tensor& weight, const Tensor& bias, const Tensor& mean,
                         const Tensor& variance, bool batchStatistics, Tensor& gradSrc,
                         Tensor& gradWeight, Tensor& gradBias) {
  expectLayoutOfSrc("backward", src, gradDst, "gradDst");
  if (reluDst) expectLayoutOfSrc("backward", src, *reluDst, "reluDst");
  expectLayoutOfSrc("backward", src, gradSrc, "gradSrc");
  const BatchNormPass p = pass(src, weight, bias, false);
  float* gw = affine_ ? gradWeight.data() : nullptr;
  float* gb = affine_ ? gradBias.data() : nullptr;
  withActivations(src, reluDst, [&](const auto* x, const auto* y) {
    if (avx512For(x, y))
      batchNormBackwardAvx512(p, x, gradDst.data(), y, mean.data(), variance.data(),
                              batchStatistics, gradSrc.data(), gw, gb);
    else
      batchNormBackward(p, x, gradDst.data(), y, mean.data(), variance.data(), batchStatistics,
                        gradSrc.data(), gw, gb);
  });
}

}  // namespace shoal::backend::cpu
