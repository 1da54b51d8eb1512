// ConvolutionOp on oneDNN convolution, NCHW or channels-last, optionally with a following ReLU and max pooling
// computed in oneDNN's blocked layout (BlockedMaxPooling).
#pragma once
#include <memory>

#include "shoal/backend/convolution_geometry.hpp"
#include "shoal/backend/convolution_op.hpp"

namespace shoal::backend::cpu {

// Primitives are made once per input shape and reused; nothing is allocated per call after (see
// ConvolutionOp). A fused max pooling reads the result in the layout oneDNN chose for the
// convolution and writes the gradient straight into it (BlockedMaxPooling). The backend gives
// strided 1x1 convolutions to SubsampledPointwiseConvolution, which runs this one unstrided.
class Convolution final : public ConvolutionOp {
 public:
  explicit Convolution(const ConvolutionGeometry& geometry);
  ~Convolution() override;

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
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shoal::backend::cpu
