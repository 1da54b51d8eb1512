// A convolution of one input plane at stride 1 on shoal's own AVX-512 passes, other cases on oneDNN (see the header).
#include "single_plane_convolution.hpp"

#include <algorithm>

#include "cpu_features.hpp"
#include "shoal/error.hpp"

namespace shoal::backend::cpu {
namespace {

int64_t vectorsFor(int64_t pixels) { return (pixels + 15) / 16; }

}  // namespace

bool singlePlaneFits(const SinglePlanePass& p) {
  const int64_t oh = p.oh(), ow = p.ow();
  if ((p.k != 3 && p.k != 5) || p.ph > p.k - 1 || p.pw > p.k - 1 || oh < 1 || ow < 1 ||
      ow > kSinglePlaneMaxRow || p.w > kSinglePlaneMaxRow || (p.pooled && (oh % 2 || ow % 2)))
    return false;
  const int64_t vectors = vectorsFor(ow);
  // the stack buffers: the bordered input plane, the pooled pass's rows, the weight gradients'
  // lane sums and the input gradient's bordered plane
  const int64_t input = (p.h + 2 * p.ph) * std::max(vectors * 16 + p.k - 1, p.w + 2 * p.pw);
  const int64_t rows = singlePlaneGroup(vectors) * oh * vectors * 16;
  const int64_t sums = p.out * (p.k * p.k + 1) * 16;
  const int64_t gradient = (p.h + p.k - 1) * std::max(vectorsFor(p.w) * 16 + p.k - 1, ow + 2 * (p.k - 1 - p.pw));
  return std::max({input, rows, sums, gradient}) <= kSinglePlaneMaxBuffer;
}

int64_t singlePlaneChunks(const SinglePlanePass& p) { return std::min<int64_t>(p.n, 16); }

bool SinglePlaneConvolution::handles(const ConvolutionGeometry& g) {
  return g.strideH == 1 && g.strideW == 1 && g.groups == 1;
}

SinglePlaneConvolution::SinglePlaneConvolution(const ConvolutionGeometry& geometry)
    : geometry_(geometry), onednn_(geometry) {
  if (!handles(geometry))
    throw UsageError("SinglePlaneConvolution: needs stride 1 and one group");
}

void SinglePlaneConvolution::fuseRelu(bool fused) {
  relu_ = fused;
  onednn_.fuseRelu(fused);
}

void SinglePlaneConvolution::setComputeType(DType type) {
  computeType_ = type;
  onednn_.setComputeType(type);
}

void SinglePlaneConvolution::setOutputType(DType type) {
  outputType_ = type;
  onednn_.setOutputType(type);
}

void SinglePlaneConvolution::setOutputLayout(Layout layout) {
  outputLayout_ = layout;
  onednn_.setOutputLayout(layout);
}

void SinglePlaneConvolution::fuseMaxPooling(const PoolingGeometry& pooling) {
  pooling_ = pooling;
  onednn_.fuseMaxPooling(pooling);
}

std::optional<SinglePlanePass> SinglePlaneConvolution::passFor(const Tensor& src) const {
  const bool plainF32 = computeType_ == DType::F32 && outputType_ == DType::F32 &&
                        outputLayout_ == Layout::Plain;
  if (!plainF32 || !hasAvx512() || src.dtype() != DType::F32 || src.rank() != 4 ||
      src.dim(0) < 1 || src.dim(1) != 1 || geometry_.kernelH != geometry_.kernelW)
    return std::nullopt;
  // a fused pooling: 2x2 windows at stride 2 only
  if (pooling_ && !(pooling_->kernelH == 2 && pooling_->kernelW == 2 && pooling_->strideH == 2 &&
                    pooling_->strideW == 2 && pooling_->padH == 0 && pooling_->padW == 0))
    return std::nullopt;
  const SinglePlanePass p{src.dim(0), src.dim(2), src.dim(3), geometry_.outputPlanes,
                          geometry_.kernelH, geometry_.padH, geometry_.padW, pooling_.has_value()};
  if (!singlePlaneFits(p)) return std::nullopt;
  return p;
}

// src [N, 1, H, W] -> dst [N, Out, OH, OW], or [N, Out, OH / 2, OW / 2] through the fused pooling
void SinglePlaneConvolution::forward(const Tensor& src, const Tensor& weight, const Tensor& bias,
                                     Tensor& dst) {
  last_ = passFor(src);
  if (!last_) return onednn_.forward(src, weight, bias, dst);
  const SinglePlanePass& p = *last_;
  if (p.pooled) selected_.resize(static_cast<size_t>(dst.numel()) + 7);  // 8 bytes from every window
  singlePlaneForwardAvx512(p, src.data(), weight.data(), geometry_.withBias ? bias.data() : nullptr,
                           relu_, dst.data(), selected_.data());
}

// gradDst [N, Out, OH, OW] (or pooled) -> gradSrc [N, 1, H, W]
void SinglePlaneConvolution::backwardData(const Tensor& gradDst, const Tensor& weight,
                                          Tensor& gradSrc) {
  if (!last_) return onednn_.backwardData(gradDst, weight, gradSrc);
  if (gradSrc.dtype() != DType::F32)
    throw UsageError("SinglePlaneConvolution: an f32 convolution's input gradient is f32");
  const SinglePlanePass& p = *last_;
  const float* unpooled = gradDst.data();
  if (p.pooled) {
    const Shape full{p.n, p.out, p.oh(), p.ow()};
    if (routed_.shape() != full) routed_ = Tensor(full);
    singlePlaneRouteAvx512(p, gradDst.data(), selected_.data(), routed_.data());
    unpooled = routed_.data();
  }
  singlePlaneInputGradientAvx512(p, unpooled, weight.data(), gradSrc.data());
}

// gradWeight [Out, 1, k, k] += the gradient; gradBias [Out] += the sums of gradDst
void SinglePlaneConvolution::backwardWeights(const Tensor& src, const Tensor& gradDst,
                                             Tensor& gradWeight, Tensor& gradBias) {
  if (!last_) return onednn_.backwardWeights(src, gradDst, gradWeight, gradBias);
  const SinglePlanePass& p = *last_;
  const int64_t weights = p.out * p.k * p.k, width = weights + p.out, chunks = singlePlaneChunks(p);
  partial_.resize(static_cast<size_t>(chunks * width));
  singlePlaneWeightGradientsAvx512(p, src.data(), gradDst.data(), selected_.data(), partial_.data());
  float* gw = gradWeight.data();
  float* gb = geometry_.withBias ? gradBias.data() : nullptr;
  for (int64_t i = 0; i < (gb ? width : weights); ++i) {
    double sum = 0;
    for (int64_t chunk = 0; chunk < chunks; ++chunk) sum += partial_[static_cast<size_t>(chunk * width + i)];
    if (i < weights)
      gw[i] += static_cast<float>(sum);
    else
      gb[i - weights] += static_cast<float>(sum);
  }
}

}  // namespace shoal::backend::cpu
