// A strided 1x1 convolution as a subsampling copy and an unstrided 1x1 Convolution (see the header).
#include "subsampled_pointwise_convolution.hpp"

#include <algorithm>
#include <cstdint>

#include "shoal/error.hpp"

namespace shoal::backend::cpu {
namespace {

ConvolutionGeometry unstrided(ConvolutionGeometry geometry) {
  geometry.strideH = geometry.strideW = 1;
  return geometry;
}

enum class Copy { Gather, Scatter };

// Gather: sub[n, c, i, j] = full[n, c, sH*i, sW*j]; Scatter: the other way round, and every other
// element of full zero (one pass over full, not a clearing pass and then the copy). full
// [N, C, H, W] and sub [N, C, OH, OW] in `layout`, elements of Word's size. Both layouts are
// images of H x W pixels: channels-last N images of C-element pixels, plain N x C of one element.
template <class Word>
void copySampled(Word* full, Word* sub, const Shape& fullShape, const Shape& subShape,
                 int64_t sH, int64_t sW, Layout layout, Copy copy) {
  const int64_t n = fullShape[0], c = fullShape[1], h = fullShape[2], w = fullShape[3];
  const int64_t oh = subShape[2], ow = subShape[3];
  const bool channelsLast = layout == Layout::ChannelsLast;
  const int64_t images = channelsLast ? n : n * c, pixel = channelsLast ? c : 1;
  for (int64_t image = 0; image < images; ++image)
    for (int64_t y = 0; y < h; ++y) {
      Word* fullRow = full + (image * h + y) * w * pixel;
      if (y % sH != 0) {
        if (copy == Copy::Scatter) std::fill_n(fullRow, w * pixel, Word{0});
        continue;
      }
      Word* subRow = sub + (image * oh + y / sH) * ow * pixel;
      for (int64_t j = 0; j < ow; ++j) {
        Word* sampled = fullRow + j * sW * pixel;
        if (copy == Copy::Gather) {
          std::copy_n(sampled, pixel, subRow + j * pixel);
          continue;
        }
        std::copy_n(subRow + j * pixel, pixel, sampled);
        // the pixels up to the next sampled one (or the row's end)
        std::fill_n(sampled + pixel, (std::min(w, (j + 1) * sW) - j * sW - 1) * pixel, Word{0});
      }
    }
}

// copySampled over `full` and `sub`'s bytes (their element types and layouts are the same).
void copySampled(const Tensor& full, const Tensor& sub, int64_t sH, int64_t sW, Copy copy) {
  auto* f = const_cast<std::byte*>(full.bytes());
  auto* s = const_cast<std::byte*>(sub.bytes());
  if (full.elementSize() == 2)
    copySampled(reinterpret_cast<uint16_t*>(f), reinterpret_cast<uint16_t*>(s), full.shape(),
                sub.shape(), sH, sW, full.layout(), copy);
  else
    copySampled(reinterpret_cast<uint32_t*>(f), reinterpret_cast<uint32_t*>(s), full.shape(),
                sub.shape(), sH, sW, full.layout(), copy);
}

}  // namespace

bool SubsampledPointwiseConvolution::handles(const ConvolutionGeometry& g) {
  return g.kernelH == 1 && g.kernelW == 1 && (g.strideH > 1 || g.strideW > 1) && g.padH == 0 &&
         g.padW == 0;
}

SubsampledPointwiseConvolution::SubsampledPointwiseConvolution(const ConvolutionGeometry& geometry)
    : strideH_(geometry.strideH), strideW_(geometry.strideW), unstrided_(unstrided(geometry)) {
  if (!handles(geometry))
    throw UsageError("SubsampledPointwiseConvolution: needs a 1x1 kernel with a stride and no padding");
}

Tensor& SubsampledPointwiseConvolution::buffer(ShapeCache<Tensor>& cache, const Shape& full,
                                               DType dtype, Layout layout) const {
  Shape key{full[0], full[1], full[2], full[3], static_cast<int64_t>(dtype),
            static_cast<int64_t>(layout)};
  return cache.get(key, [&] {
    Tensor t(Shape{full[0], full[1], (full[2] - 1) / strideH_ + 1, (full[3] - 1) / strideW_ + 1},
             dtype);
    t.setLayout(layout);
    return t;
  });
}

void SubsampledPointwiseConvolution::forward(const Tensor& src, const Tensor& weight,
                                             const Tensor& bias, Tensor& dst) {
  Tensor& sub = buffer(subsamples_, src.shape(), src.dtype(), src.layout());
  copySampled(src, sub, strideH_, strideW_, Copy::Gather);
  lastSubsample_ = &sub;
  lastSrcShape_ = src.shape();
  unstrided_.forward(sub, weight, bias, dst);
}

void SubsampledPointwiseConvolution::backwardData(const Tensor& gradDst, const Tensor& weight,
                                                  Tensor& gradSrc) {
  Tensor& subGrad = buffer(subsampleGrads_, gradSrc.shape(), gradSrc.dtype(), gradSrc.layout());
  unstrided_.backwardData(gradDst, weight, subGrad);
  copySampled(gradSrc, subGrad, strideH_, strideW_, Copy::Scatter);
}

void SubsampledPointwiseConvolution::backwardWeights(const Tensor& src, const Tensor& gradDst,
                                                     Tensor& gradWeight, Tensor& gradBias) {
  // src is the tensor of the last forward (ConvolutionOp's contract), subsampled then
  if (lastSubsample_ == nullptr || src.shape() != lastSrcShape_)
    throw UsageError("SubsampledPointwiseConvolution: backwardWeights needs the last forward's src");
  unstrided_.backwardWeights(*lastSubsample_, gradDst, gradWeight, gradBias);
}

}  // namespace shoal::backend::cpu
