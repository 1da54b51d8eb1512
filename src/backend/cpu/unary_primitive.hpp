// Unary primitives on plain memories of one descriptor (eltwise, softmax): forward, and backward from the output.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include "dnnl_binding.hpp"
#include "shoal/tensor/tensor.hpp"

namespace shoal::backend::cpu {

// dst = f(src) with src and dst of the descriptor `data`; made once per shape, run per call.
struct UnaryForward {
  UnaryForward(const dnnl::primitive_desc_base& pd, const dnnl::memory::desc& data);
  // Binds the tensors (of `data`'s element count) and runs the primitive.
  void run(const Tensor& src, Tensor& dst);

  dnnl::memory src, dst;
  BoundPrimitive primitive;
};

// gradSrc from the forward output dst and gradDst, all of the descriptor `data`.
struct UnaryBackward {
  UnaryBackward(const dnnl::primitive_desc_base& pd, const dnnl::memory::desc& data);
  // Binds the tensors (of `data`'s element count) and runs the primitive.
  void run(const Tensor& dst, const Tensor& gradDst, Tensor& gradSrc);

  dnnl::memory dst, gradDst, gradSrc;
  BoundPrimitive primitive;
};

}  // namespace shoal::backend::cpu
