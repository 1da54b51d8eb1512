// ConvolutionOp: 2-d convolution (forward, backward-data, accumulating backward-weights) over NCHW or NHWC,
// optionally with a following ReLU and max pooling fused into it, as a backend does it.
#pragma once
#include <cstdint>

#include "shoal/backend/pooling_geometry.hpp"
#include "shoal/tensor/tensor.hpp"

namespace shoal::backend {

// Primitives are made once per input shape and reused; nothing is allocated per call after.
class ConvolutionOp {
 public:
  // The largest pooling window (kernelH * kernelW elements) fuseMaxPooling accepts.
  static constexpr int64_t kMaxFusedPoolingWindow = 254;

  ConvolutionOp() = default;
  ConvolutionOp(const ConvolutionOp&) = delete;
  ConvolutionOp& operator=(const ConvolutionOp&) = delete;
  virtual ~ConvolutionOp() = default;

  // The element type the products read: f32 (default) or bf16, where src, the weights and the
  // output gradient are rounded to bf16 on their way into the primitives and the products
  // accumulate in f32. Weight gradients and the input gradient's accumulation stay f32 either
  // way. Set before the first forward.
  virtual void setComputeType(DType type) = 0;
  // The element type of dst: f32 (default) or bf16, which needs bf16 computation and no fused
  // pooling (the result, accumulated in f32, leaves the primitive rounded once). Set before the
  // first forward.
  virtual void setOutputType(DType type) = 0;
  // The layout of dst and gradDst: plain (default) or channels-last (not with a fused pooling).
  // src may be either (each forward says; gradSrc then has src's layout). Channels-last
  // tensors are read and written in place where the backend has kernels for them. Set before
  // the first forward.
  virtual void setOutputLayout(Layout layout) = 0;
  // Applies max(0, .) to the forward result inside the convolution (an eltwise post-op);
  // set before the first forward.
  virtual void fuseRelu(bool fused) = 0;
  // Max-pools the (ReLU'd) result with `pooling` (windows of at most kMaxFusedPoolingWindow
  // elements) before it leaves the convolution: the pooling reads the result in the layout the
  // backend chose for the convolution and writes plain NCHW, and its backward pass writes the
  // gradient straight into that layout. dst and gradDst are then the pooled [N, Out, PH, PW].
  // In bf16 computation the convolution writes its result in bf16 for the pooling to read, and
  // dst and gradDst may be f32 or bf16 (bf16 for a next layer that reads bf16).
  // Set before the first forward.
  virtual void fuseMaxPooling(const PoolingGeometry& pooling) = 0;

  // src [N, C, H, W] (f32 or bf16, plain or channels-last), weight [Out, C/groups, kH, kW],
  // bias [Out] (ignored without bias) -> dst [N, Out, OH, OW] of the output type in the output
  // layout, or f32 or bf16 with a fused pooling in bf16 computation (through the fused ReLU and
  // pooling, if any), already sized by the caller.
  virtual void forward(const Tensor& src, const Tensor& weight, const Tensor& bias,
                       Tensor& dst) = 0;
  // gradDst [N, Out, OH, OW] (f32; f32 or bf16 with a fused pooling in bf16 computation),
  // weight -> gradSrc [N, C, H, W] of the caller's element type (f32 or bf16) in the last
  // forward's src layout, already sized by the caller.
  virtual void backwardData(const Tensor& gradDst, const Tensor& weight, Tensor& gradSrc) = 0;
  // Adds the gradients of src and gradDst into gradWeight [Out, C/groups, kH, kW] and
  // gradBias [Out] (ignored without bias). `src` is the tensor of the last forward(). With a
  // fused pooling, backwardData and backwardWeights of one backward pass share the gradient
  // routed through pooling and ReLU; each forward() starts a new pass.
  virtual void backwardWeights(const Tensor& src, const Tensor& gradDst, Tensor& gradWeight,
                               Tensor& gradBias) = 0;
};

}  // namespace shoal::backend
