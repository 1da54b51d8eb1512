// Activations on oneDNN eltwise; backward uses the *_use_dst_for_bwd algorithms (needs only the output).
#include "eltwise.hpp"

#include "dnnl_binding.hpp"
#include "engine.hpp"
#include "unary_primitive.hpp"
#include "shoal/error.hpp"

namespace shoal::backend::cpu {

using dnnl::memory;

namespace {

dnnl::algorithm algorithmOf(Activation a) {
  switch (a) {
    case Activation::Relu: return dnnl::algorithm::eltwise_relu_use_dst_for_bwd;
    case Activation::Tanh: return dnnl::algorithm::eltwise_tanh_use_dst_for_bwd;
    case Activation::Sigmoid: return dnnl::algorithm::eltwise_logistic_use_dst_for_bwd;
  }
  throw Error("Eltwise: unknown activation");
}

dnnl::eltwise_forward::primitive_desc forwardDesc(dnnl::algorithm alg, const memory::desc& data) {
  dnnl::eltwise_forward::desc desc(dnnl::prop_kind::forward_training, alg, data, 0.0f, 0.0f);
  return dnnl::eltwise_forward::primitive_desc(desc, userScratchpad(), engine());
}

}  // namespace

struct Eltwise::Impl {
  dnnl::algorithm algorithm;
  ShapeCache<UnaryForward> forward;
  ShapeCache<UnaryBackward> backward;
};

Eltwise::Eltwise(Activation activation) : impl_(std::make_unique<Impl>()) {
  impl_->algorithm = algorithmOf(activation);
}
Eltwise::~Eltwise() = default;

void Eltwise::forward(const Tensor& src, Tensor& dst) {
  if (dst.numel() != src.numel())
    throw ShapeError("Eltwise forward: dst " + dst.shape().str() + " does not match src " +
                     src.shape().str());
  int64_t n = src.numel();
  impl_->forward
      .get(Shape{n},
           [&] {
             memory::desc data = plainDesc({n});  // every element in one flat run
             return UnaryForward(forwardDesc(impl_->algorithm, data), data);
           })
      .run(src, dst);
}

void Eltwise::backward(const Tensor& dst, const Tensor& gradDst, Tensor& gradSrc) {
  if (gradDst.numel() != dst.numel() || gradSrc.numel() != dst.numel())
    throw ShapeError("Eltwise backward: gradDst " + gradDst.shape().str() + " and gradSrc " +
                     gradSrc.shape().str() + " must match the output " + dst.shape().str());
  int64_t n = dst.numel();
  impl_->backward
      .get(Shape{n},
           [&] {
             memory::desc data = plainDesc({n});
             dnnl::eltwise_backward::desc desc(impl_->algorithm, data, data, 0.0f, 0.0f);
             dnnl::eltwise_backward::primitive_desc pd(desc, userScratchpad(), engine(),
                                                       forwardDesc(impl_->algorithm, data));
             return UnaryBackward(pd, data);
           })
      .run(dst, gradDst, gradSrc);
}

}  // namespace shoal::backend::cpu
