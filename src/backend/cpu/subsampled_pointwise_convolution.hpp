// A strided 1x1 convolution (a resnet's projection) as a subsampling copy and an unstrided 1x1 Convolution.
#pragma once
#include <cstddef>
#include <memory>

#include "convolution.hpp"
#include "dnnl_binding.hpp"
#include "shoal/backend/convolution_geometry.hpp"
#include "shoal/backend/convolution_op.hpp"

namespace shoal::backend::cpu {

// A 1x1 kernel at stride (sH, sW) without padding reads only src[:, :, sH*i, sW*j]: forward
// copies those pixels into a [N, C, OH, OW] tensor (src's element type and layout) and runs the
// unstrided convolution on it; backwardData scatters the subsample's gradient back to those
// pixels and zeroes the others; backwardWeights reads the subsample of the last forward.
// Besides skipping the strided reads, this keeps channels-last tensors away from oneDNN 2.6.3's
// strided jit_1x1 weight-gradient kernel, which corrupts its scratchpad or spins on nhwc tensors
// with two or more threads (seen with 1 to 8 input planes at stride 2, f32 and bf16); its
// unstrided kernel stayed inside a guard page for 1-32 input and 4-64 output planes.
// The buffers are kept per input shape, element type and layout, like the primitives.
class SubsampledPointwiseConvolution final : public ConvolutionOp {
 public:
  // Whether `geometry` is a 1x1 kernel with a stride above 1 and no padding.
  static bool handles(const ConvolutionGeometry& geometry);

  explicit SubsampledPointwiseConvolution(const ConvolutionGeometry& geometry);

  void fuseRelu(bool fused) override { unstrided_.fuseRelu(fused); }
  void setComputeType(DType type) override { unstrided_.setComputeType(type); }
  void setOutputType(DType type) override { unstrided_.setOutputType(type); }
  void setOutputLayout(Layout layout) override { unstrided_.setOutputLayout(layout); }
  void fuseMaxPooling(const PoolingGeometry& pooling) override {
    unstrided_.fuseMaxPooling(pooling);
  }

  void forward(const Tensor& src, const Tensor& weight, const Tensor& bias, Tensor& dst) override;
  void backwardData(const Tensor& gradDst, const Tensor& weight, Tensor& gradSrc) override;
  void backwardWeights(const Tensor& src, const Tensor& gradDst, Tensor& gradWeight,
                       Tensor& gradBias) override;

 private:
  // A [N, C, OH, OW] tensor of `dtype` in `layout` for a full tensor [N, C, H, W], from `cache`.
  Tensor& buffer(ShapeCache<Tensor>& cache, const Shape& full, DType dtype, Layout layout) const;

  int64_t strideH_, strideW_;
  Convolution unstrided_;
  ShapeCache<Tensor> subsamples_, subsampleGrads_;
  Tensor* lastSubsample_ = nullptr;  // the last forward's src at the sampled pixels
  Shape lastSrcShape_;
};

}  // namespace shoal::backend::cpu
