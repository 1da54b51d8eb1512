// Softmax and log-softmax on oneDNN over dimension 1, with inputs viewed as [N, C, rest].
#include "softmax.hpp"

#include <algorithm>

#include "dnnl_binding.hpp"
#include "engine.hpp"
#include "unary_primitive.hpp"
#include "shoal/error.hpp"

namespace shoal::backend::cpu {

using dnnl::memory;

namespace {

constexpr int kAxis = 1;

// [N, C, prod(rest)]: the normalised dimension in the middle, every other one folded around it.
Shape folded(const Tensor& t, const char* what) {
  if (t.rank() < 2)
    throw ShapeError(std::string(what) + ": expected a tensor of rank >= 2 ([N, C, ...]), got " +
                     t.shape().str());
  return Shape{t.dim(0), t.dim(1), t.numel() / std::max<int64_t>(1, t.dim(0) * t.dim(1))};
}

memory::desc descOf(const Shape& s) { return plainDesc({s[0], s[1], s[2]}); }

template <class Primitive>
typename Primitive::primitive_desc forwardDescOf(const memory::desc& data) {
  typename Primitive::desc desc(dnnl::prop_kind::forward_training, data, kAxis);
  return typename Primitive::primitive_desc(desc, userScratchpad(), engine());
}

template <class FwdPrimitive, class BwdPrimitive>
typename BwdPrimitive::primitive_desc backwardDescOf(const memory::desc& data) {
  typename BwdPrimitive::desc desc(data, data, kAxis);
  return typename BwdPrimitive::primitive_desc(desc, userScratchpad(), engine(),
                                               forwardDescOf<FwdPrimitive>(data));
}

dnnl::primitive_desc forwardDesc(bool log, const memory::desc& data) {
  if (log) return forwardDescOf<dnnl::logsoftmax_forward>(data);
  return forwardDescOf<dnnl::softmax_forward>(data);
}

dnnl::primitive_desc backwardDesc(bool log, const memory::desc& data) {
  if (log) return backwardDescOf<dnnl::logsoftmax_forward, dnnl::logsoftmax_backward>(data);
  return backwardDescOf<dnnl::softmax_forward, dnnl::softmax_backward>(data);
}

}  // namespace

struct Softmax::Impl {
  bool log;
  ShapeCache<UnaryForward> forward;
  ShapeCache<UnaryBackward> backward;
};

Softmax::Softmax(bool log) : impl_(std::make_unique<Impl>()) { impl_->log = log; }
Softmax::~Softmax() = default;

void Softmax::forward(const Tensor& src, Tensor& dst) {
  expectShape(dst, src.shape(), "Softmax forward dst");
  Shape s = folded(src, "Softmax forward");
  impl_->forward
      .get(s,
           [&] {
             memory::desc data = descOf(s);
             return UnaryForward(forwardDesc(impl_->log, data), data);
           })
      .run(src, dst);
}

void Softmax::backward(const Tensor& dst, const Tensor& gradDst, Tensor& gradSrc) {
  expectShape(gradDst, dst.shape(), "Softmax backward gradDst");
  expectShape(gradSrc, dst.shape(), "Softmax backward gradSrc");
  Shape s = folded(dst, "Softmax backward");
  impl_->backward
      .get(s,
           [&] {
             memory::desc data = descOf(s);
             return UnaryBackward(backwardDesc(impl_->log, data), data);
           })
      .run(dst, gradDst, gradSrc);
}

}  // namespace shoal::backend::cpu
