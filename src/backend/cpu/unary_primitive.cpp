// Unary primitives: plain memories bound to tensors on each run, arguments fixed at creation.
#include "unary_primitive.hpp"

#include "engine.hpp"

namespace shoal::backend::cpu {

using dnnl::memory;

UnaryForward::UnaryForward(const dnnl::primitive_desc_base& pd, const memory::desc& data)
    : src(data, engine(), nullptr),
      dst(data, engine(), nullptr),
      primitive(pd, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}}) {}

void UnaryForward::run(const Tensor& srcTensor, Tensor& dstTensor) {
  bind(src, srcTensor);
  bind(dst, dstTensor);
  primitive.run();
}

UnaryBackward::UnaryBackward(const dnnl::primitive_desc_base& pd, const memory::desc& data)
    : dst(data, engine(), nullptr),
      gradDst(data, engine(), nullptr),
      gradSrc(data, engine(), nullptr),
      primitive(pd, {{DNNL_ARG_DST, dst}, {DNNL_ARG_DIFF_DST, gradDst}, {DNNL_ARG_DIFF_SRC, gradSrc}}) {}

void UnaryBackward::run(const Tensor& dstTensor, const Tensor& gradDstTensor, Tensor& gradSrcTensor) {
  bind(dst, dstTensor);
  bind(gradDst, gradDstTensor);
  bind(gradSrc, gradSrcTensor);
  primitive.run();
}

}  // namespace shoal::backend::cpu
