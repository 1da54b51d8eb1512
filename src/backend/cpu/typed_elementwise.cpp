// backend::add, addRelu, relu and reluBackward on typed tensors: the element types picked, then the baseline or AVX-512 build of the pass.
#include "shoal/backend/vector_kernels.hpp"

#include "cpu_features.hpp"
#include "shoal/error.hpp"
#include "typed_elementwise_kernels.hpp"

namespace shoal::backend {
namespace {

// Calls run(p) with t's elements as float or bfloat16 pointers, as its dtype says.
template <class T, class Run>
void withElements(T& t, Run run) {
  if (t.dtype() == DType::BF16) return run(t.template data<bfloat16>());
  run(t.data());
}

void expectCount(const Tensor& a, const Tensor& b, const char* what) {
  if (a.numel() != b.numel())
    throw ShapeError(std::string(what) + ": " + a.shape().str() + " and " + b.shape().str() +
                     " differ in element count");
}

// sum = a + b, or (kRelu) max(0, a + b)
template <bool kRelu>
void addTyped(const Tensor& a, const Tensor& b, Tensor& sum, const char* what) {
  expectCount(a, b, what);
  expectCount(a, sum, what);
  const int64_t n = sum.numel();
  withElements(a, [&](const auto* x) {
    withElements(b, [&](const auto* y) {
      withElements(sum, [&](auto* s) {
        if (cpu::hasAvx512Bw()) return cpu::addElementsAvx512<kRelu>(x, y, s, n);
        cpu::addElements<kRelu>(x, y, s, n);
      });
    });
  });
}

}  // namespace

void add(const Tensor& a, const Tensor& b, Tensor& sum) { addTyped<false>(a, b, sum, "add"); }

void addRelu(const Tensor& a, const Tensor& b, Tensor& dst) { addTyped<true>(a, b, dst, "addRelu"); }

void relu(const Tensor& src, Tensor& dst) {
  expectCount(src, dst, "relu");
  const int64_t n = src.numel();
  withElements(src, [&](const auto* x) {
    withElements(dst, [&](auto* y) {
      if (cpu::hasAvx512Bw()) return cpu::reluElementsAvx512(x, y, n);
      cpu::reluElements(x, y, n);
    });
  });
}

void reluBackward(const Tensor& output, const Tensor& grad, Tensor& gradSrc) {
  expectCount(output, grad, "reluBackward");
  expectCount(output, gradSrc, "reluBackward");
  const int64_t n = output.numel();
  float* dx = gradSrc.data();
  withElements(output, [&](const auto* y) {
    withElements(grad, [&](const auto* g) {
      if (cpu::hasAvx512Bw()) return cpu::reluGradientAvx512(y, g, dx, n);
      cpu::reluGradient(y, g, dx, n);
    });
  });
}

void reluBackward(const Tensor& output, const Tensor& grad, const Tensor& moreGrad, Tensor& gradSrc) {
  expectCount(output, grad, "reluBackward");
  expectCount(output, moreGrad, "reluBackward");
  expectCount(output, gradSrc, "reluBackward");
  const int64_t n = output.numel();
  float* dx = gradSrc.data();
  withElements(output, [&](const auto* y) {
    withElements(grad, [&](const auto* g) {
      withElements(moreGrad, [&](const auto* h) {
        if (cpu::hasAvx512Bw()) return cpu::reluGradientOfSumAvx512(y, g, h, dx, n);
        cpu::reluGradientOfSum(y, g, h, dx, n);
      });
    });
  });
}

}  // namespace shoal::backend
