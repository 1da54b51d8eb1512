// A 3x3 or 5x5 convolution of one input plane (an image's grey channel) at stride 1 on shoal's own AVX-512 passes, other cases on oneDNN.
#pragma once
#include <optional>
#include <vector>

#include "convolution.hpp"
#include "dnnl_binding.hpp"
#include "shoal/backend/convolution_geometry.hpp"
#include "shoal/backend/convolution_op.hpp"
#include "single_plane_convolution_kernels.hpp"

namespace shoal::backend::cpu {

// oneDNN 2.6 pads the output channels of a one-plane convolution to blocks of 16 (LeNet-5's
// first layer, 6 planes: 0.87 ms forward and 0.72 ms for the weight gradients at batch 128 on
// one Zen 4 core, 35 GFLOP/s). The passes in single_plane_convolution_kernels.hpp vectorise
// along the output rows instead. Each forward picks them for an f32 src of one plane, f32
// computation and output, a plain output, what singlePlaneFits takes, no fused pooling or a 2x2
// one at stride 2, and a CPU with AVX-512; anything else (bf16, channels-last, other kernels and
// poolings, wider images, other CPUs) runs on the oneDNN Convolution inside, and the backward
// passes follow the last forward's choice. A fused ReLU applies in the forward pass; a fused
// pooling runs in it too, keeping each window's selection, through which the weight gradients
// route the pooled gradient as they read it (the input gradient, rarely wanted of a first layer,
// from a routed copy). The weight gradients are summed per fixed chunk of images and the chunks
// added in order in double: the same for any thread count.
class SinglePlaneConvolution final : public ConvolutionOp {
 public:
  // Whether `geometry` may run on the passes (stride 1, one group); the input plane count and
  // the rest are checked at each forward.
  static bool handles(const ConvolutionGeometry& geometry);

  explicit SinglePlaneConvolution(const ConvolutionGeometry& geometry);

  void fuseRelu(bool fused) override;
  void setComputeType(DType type) override;
  void setOutputType(DType type) override;
  void setOutputLayout(Layout layout) override;
  void fuseMaxPooling(const PoolingGeometry& pooling) override;

  void forward(const Tensor& src, const Tensor& weight, const Tensor& bias, Tensor& dst) override;
  void backwardData(const Tensor& gradDst, const Tensor& weight, Tensor& gradSrc) override;
  void backwardWeights(const Tensor& src, const Tensor& gradDst, Tensor& gradWeight,
                       Tensor& gradBias) override;

 private:
  // The pass over `src`, or nothing where oneDNN runs it.
  std::optional<SinglePlanePass> passFor(const Tensor& src) const;

  ConvolutionGeometry geometry_;
  Convolution onednn_;
  bool relu_ = false;
  DType computeType_ = DType::F32, outputType_ = DType::F32;
  Layout outputLayout_ = Layout::Plain;
  std::optional<PoolingGeometry> pooling_;
  std::optional<SinglePlanePass> last_;  // the last forward's pass, where it ran on the passes
  // With a fused pooling: each window's selection, and (for the input gradient) the gradient
  // routed through them.
  std::vector<uint8_t> selected_;
  Tensor routed_;
  std::vector<double> partial_;         // the weight gradients' per-chunk sums
};

}  // namespace shoal::backend::cpu
