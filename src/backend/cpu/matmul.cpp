// Fully connected products on oneDNN matmul with cached primitives and swapped data handles.
#include "matmul.hpp"

#include "dnnl_binding.hpp"
#include "engine.hpp"
#include "shoal/error.hpp"

namespace shoal::backend::cpu {

using dnnl::memory;

namespace {

// A plain memory without storage; its data handle is set before each run.
memory unbound(const memory::desc& desc) { return memory(desc, engine(), nullptr); }

// The [rows, cols] view of a row-major [cols, rows] matrix (its transpose, no copy).
memory::desc transposedDesc(int64_t rows, int64_t cols) {
  return memory::desc({rows, cols}, memory::data_type::f32, memory::dims{1, rows});
}

// With `accumulate`, the product is added to what dst holds (a sum post-op).
dnnl::primitive_attr accumulating(bool accumulate) {
  dnnl::primitive_attr attr = userScratchpad();
  if (!accumulate) return attr;
  dnnl::post_ops sum;
  sum.append_sum(1.0f);
  attr.set_post_ops(sum);
  return attr;
}

// One matmul with its three (or four) argument memories.
struct Product {
  memory src, weights, bias, dst;
  BoundPrimitive primitive;

  Product(const memory::desc& srcDesc, const memory::desc& weightsDesc,
          const memory::desc* biasDesc, const memory::desc& dstDesc,
          const dnnl::primitive_attr& attr)
      : src(unbound(srcDesc)), weights(unbound(weightsDesc)), dst(unbound(dstDesc)) {
    std::vector<std::pair<int, memory>> args{
        {DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}};
    dnnl::matmul::desc desc = biasDesc ? dnnl::matmul::desc(srcDesc, weightsDesc, *biasDesc, dstDesc)
                                       : dnnl::matmul::desc(srcDesc, weightsDesc, dstDesc);
    if (biasDesc) {
      bias = unbound(*biasDesc);
      args.emplace_back(DNNL_ARG_BIAS, bias);
    }
    primitive = BoundPrimitive(dnnl::matmul::primitive_desc(desc, attr, engine()), std::move(args));
  }

  void run(const Tensor& a, const Tensor& b, const Tensor* c, Tensor& out) {
    bind(src, a);
    bind(weights, b);
    if (c) bind(bias, *c);
    bind(dst, out);
    primitive.run();
  }
};

void expectMatrix(const Tensor& t, int64_t rows, int64_t cols, const char* what) {
  expectShape(t, Shape{rows, cols}, what);
}

}  // namespace

struct Matmul::Impl {
  ShapeCache<Product> forward, backwardData, backwardWeights, backwardBias;
  Tensor ones;  // [N] of 1: the bias gradient is ones^T * gradDst
};

Matmul::Matmul() : impl_(std::make_unique<Impl>()) {}
Matmul::~Matmul() = default;

void Matmul::forward(const Tensor& src, const Tensor& weight, const Tensor* bias, bool relu,
                     Tensor& dst) {
  if (src.rank() != 2 || weight.rank() != 2)
    throw ShapeError("Matmul forward: expected src [N, In] and weight [Out, In], got " +
                     src.shape().str() + " and " + weight.shape().str());
  int64_t n = src.dim(0), in = src.dim(1), out = weight.dim(0);
  expectMatrix(weight, out, in, "Matmul forward weight");
  expectMatrix(dst, n, out, "Matmul forward dst");
  if (bias) expectShape(*bias, Shape{out}, "Matmul forward bias");
  Shape key{n, in, out, bias ? 1 : 0, relu ? 1 : 0};
  Product& p = impl_->forward.get(key, [&] {
    dnnl::primitive_attr attr = userScratchpad();
    if (relu) {
      dnnl::post_ops ops;
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
      attr.set_post_ops(ops);
    }
    memory::desc biasDesc = plainDesc({1, out});
    // src [N, In] * (weight [Out, In] read as [In, Out]) -> dst [N, Out]
    return Product(plainDesc({n, in}), transposedDesc(in, out), bias ? &biasDesc : nullptr,
                   plainDesc({n, out}), attr);
  });
  p.run(src, weight, bias, dst);
}

void Matmul::backwardData(const Tensor& gradDst, const Tensor& weight, Tensor& gradSrc) {
  if (gradDst.rank() != 2 || weight.rank() != 2)
    throw ShapeError("Matmul backward: expected gradDst [N, Out] and weight [Out, In], got " +
                     gradDst.shape().str() + " and " + weight.shape().str());
  int64_t n = gradDst.dim(0), out = weight.dim(0), in = weight.dim(1);
  expectMatrix(gradDst, n, out, "Matmul backward gradDst");
  expectMatrix(gradSrc, n, in, "Matmul backward gradSrc");
  Product& p = impl_->backwardData.get(Shape{n, in, out}, [&] {
    // gradDst [N, Out] * weight [Out, In] -> gradSrc [N, In]
    return Product(plainDesc({n, out}), plainDesc({out, in}), nullptr, plainDesc({n, in}),
                   userScratchpad());
  });
  p.run(gradDst, weight, nullptr, gradSrc);
}

void Matmul::backwardWeights(const Tensor& src, const Tensor& gradDst, Tensor& gradWeight,
                             Tensor* gradBias, bool accumulate) {
  if (src.rank() != 2 || gradDst.rank() != 2)
    throw ShapeError("Matmul backward: expected src [N, In] and gradDst [N, Out], got " +
                     src.shape().str() + " and " + gradDst.shape().str());
  int64_t n = src.dim(0), in = src.dim(1), out = gradDst.dim(1);
  expectMatrix(gradDst, n, out, "Matmul backward gradDst");
  expectMatrix(gradWeight, out, in, "Matmul backward gradWeight");
  Product& w = impl_->backwardWeights.get(Shape{n, in, out, accumulate}, [&] {
    // (gradDst [N, Out] read as [Out, N]) * src [N, In] (+ gradWeight) -> gradWeight [Out, In]
    return Product(transposedDesc(out, n), plainDesc({n, in}), nullptr, plainDesc({out, in}),
                   accumulating(accumulate));
  });
  w.run(gradDst, src, nullptr, gradWeight);
  if (!gradBias) return;
  expectShape(*gradBias, Shape{out}, "Matmul backward gradBias");
  if (!(impl_->ones.shape() == Shape{n})) {
    impl_->ones.resize(Shape{n});
    impl_->ones.fill(1.0f);
  }
  Product& b = impl_->backwardBias.get(Shape{n, out, accumulate}, [&] {
    // ones [1, N] * gradDst [N, Out] (+ gradBias) -> gradBias [1, Out]
    return Product(plainDesc({1, n}), plainDesc({n, out}), nullptr, plainDesc({1, out}),
                   accumulating(accumulate));
  });
  b.run(impl_->ones, gradDst, nullptr, *gradBias);
}

}  // namespace shoal::backend::cpu
