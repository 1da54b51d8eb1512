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
memory::desc transposedDesc(int64_t rows, int64_t cols, DType dtype) {
  return memory::desc({rows, cols}, dnnlType(dtype), memory::dims{1, rows});
}

// The two factors of a product must have one element type (f32, or bf16 accumulated in f32).
void expectSameType(const Tensor& a, const Tensor& b, const char* what) {
  if (a.dtype() != b.dtype())
    throw UsageError(std::string("Matmul ") + what + ": the factors are " +
                     std::string(dtypeName(a.dtype())) + " and " + std::string(dtypeName(b.dtype())) +
                     "; both must be f32 or both bf16");
}

int64_t typeKey(const Tensor& t) { return static_cast<int64_t>(t.dtype()); }

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
  Tensor ones;  // [N] of 1 in gradDst's element type: the bias gradient is ones^T * gradDst
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
  expectSameType(src, weight, "forward");
  const DType type = src.dtype(), dstType = dst.dtype();
  Shape key{n, in, out, (bias ? 2 : 0) + (relu ? 1 : 0), typeKey(src) * 8 + typeKey(dst)};
  Product& p = impl_->forward.get(key, [&] {
    dnnl::primitive_attr attr = userScratchpad();
    if (relu) {
      dnnl::post_ops ops;
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
      attr.set_post_ops(ops);
    }
    memory::desc biasDesc = plainDesc({1, out});
    // src [N, In] * (weight [Out, In] read as [In, Out]) -> dst [N, Out]; bf16 factors
    // accumulate in f32, and dst is f32 or rounded to bf16.
    return Product(plainDesc({n, in}, type), transposedDesc(in, out, type),
                   bias ? &biasDesc : nullptr, plainDesc({n, out}, dstType), attr);
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
  expectSameType(gradDst, weight, "backward");
  const DType type = gradDst.dtype(), dstType = gradSrc.dtype();
  Product& p = impl_->backwardData.get(Shape{n, in, out, typeKey(gradDst), typeKey(gradSrc)}, [&] {
    // gradDst [N, Out] * weight [Out, In] -> gradSrc [N, In]
    return Product(plainDesc({n, out}, type), plainDesc({out, in}, type), nullptr,
                   plainDesc({n, in}, dstType), userScratchpad());
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
  expectSameType(src, gradDst, "backward");
  const DType type = src.dtype();
  Product& w = impl_->backwardWeights.get(Shape{n, in, out, accumulate, typeKey(src)}, [&] {
    // (gradDst [N, Out] read as [Out, N]) * src [N, In] (+ gradWeight) -> gradWeight [Out, In],
    // accumulated in f32 whatever the factors
    return Product(transposedDesc(out, n, type), plainDesc({n, in}, type), nullptr,
                   plainDesc({out, in}), accumulating(accumulate));
  });
  w.run(gradDst, src, nullptr, gradWeight);
  if (!gradBias) return;
  expectShape(*gradBias, Shape{out}, "Matmul backward gradBias");
  if (!(impl_->ones.shape() == Shape{n}) || impl_->ones.dtype() != type) {
    if (impl_->ones.dtype() != type) impl_->ones = Tensor(Shape{0}, type);
    impl_->ones.resize(Shape{n});
    impl_->ones.fill(1.0f);
  }
  Product& b = impl_->backwardBias.get(Shape{n, out, accumulate, typeKey(src)}, [&] {
    // ones [1, N] * gradDst [N, Out] (+ gradBias) -> gradBias [1, Out]
    return Product(plainDesc({1, n}, type), plainDesc({n, out}, type), nullptr,
                   plainDesc({1, out}), accumulating(accumulate));
  });
  b.run(impl_->ones, gradDst, nullptr, *gradBias);
}

}  // namespace shoal::backend::cpu
