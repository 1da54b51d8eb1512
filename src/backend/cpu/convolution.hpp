// 2-d convolution on oneDNN (forward, backward-data, accumulating backward-weights), NCHW,
// optionally with a following ReLU and max pooling computed in oneDNN's blocked layout.
#pragma once
#include <cstdint>
#include <memory>

#include "shoal/backend/cpu/pooling.hpp"
#include "shoal/tensor/tensor.hpp"

namespace shoal::backend::cpu {

struct ConvolutionGeometry {
  int64_t outputPlanes = 0;
  int64_t kernelH = 1, kernelW = 1;
  int64_t strideH = 1, strideW = 1;
  int64_t padH = 0, padW = 0;  // on both sides
  int64_t groups = 1;
  bool withBias = true;
};

// Primitives are made once per input shape and reused; nothing is allocated per call after.
class Convolution {
 public:
  explicit Convolution(const ConvolutionGeometry& geometry);
  ~Convolution();
  Convolution(Convolution&&) noexcept;
  Convolution& operator=(Convolution&&) noexcept;

  // Applies max(0, .) to the forward result inside the convolution (an eltwise post-op);
  // set before the first forward.
  void fuseRelu(bool fused);
  // Max-pools the (ReLU'd) result with `pooling` (windows of at most
  // BlockedMaxPooling::kMaxWindow elements) before it leaves the convolution: the pooling reads
  // the result in the layout oneDNN chose for the convolution and writes plain NCHW, and its
  // backward pass writes the gradient straight into that layout (BlockedMaxPooling). dst and
  // gradDst are then the pooled [N, Out, PH, PW]. Set before the first forward.
  void fuseMaxPooling(const PoolingGeometry& pooling);

  // src [N, C, H, W], weight [Out, C/groups, kH, kW], bias [Out] (ignored without bias)
  // -> dst [N, Out, OH, OW] (through the fused ReLU and pooling, if any), already sized by the
  // caller.
  void forward(const Tensor& src, const Tensor& weight, const Tensor& bias, Tensor& dst);
  // gradDst [N, Out, OH, OW], weight -> gradSrc [N, C, H, W], already sized by the caller.
  void backwardData(const Tensor& gradDst, const Tensor& weight, Tensor& gradSrc);
  // Adds the gradients of src and gradDst into gradWeight [Out, C/groups, kH, kW] and
  // gradBias [Out] (ignored without bias). `src` is the tensor of the last forward(). With a
  // fused pooling, backwardData and backwardWeights of one backward pass share the gradient
  // routed through pooling and ReLU; each forward() starts a new pass.
  void backwardWeights(const Tensor& src, const Tensor& gradDst, Tensor& gradWeight,
                       Tensor& gradBias);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shoal::backend::cpu
