// The fused convolution + ReLU + max-pooling block in bf16: the pooling reads the convolution's bf16 result and writes bf16 for a bf16 reader.
#include <gtest/gtest.h>

#include <cmath>

#include "shoal/nn/flat_parameters.hpp"
#include "shoal/nn/flatten.hpp"
#include "shoal/nn/linear.hpp"
#include "shoal/nn/random.hpp"
#include "shoal/nn/relu.hpp"
#include "shoal/nn/sequential.hpp"
#include "shoal/nn/spatial_convolution.hpp"
#include "shoal/nn/spatial_max_pooling.hpp"
#include "support/bf16_kernels.hpp"
#include "support/gradient_check.hpp"
#include "support/relative_error.hpp"

using shoal::DType;
using shoal::Shape;
using shoal::Tensor;
using shoal::nn::Precision;
using shoal::testing::kBf16Tolerance;
using shoal::testing::randomTensor;
using shoal::testing::relativeError;

namespace {

// `t` with every element rounded to bf16 (still f32).
void roundToBf16(Tensor& t) { t.copyFrom(t.toType(DType::BF16)); }

// A max pooling's window: kernel, stride and padding in both directions.
struct Window {
  int64_t kernel, stride, pad;
  int64_t pooled(int64_t size) const { return (size + 2 * pad - kernel) / stride + 1; }
};
// Overlapping windows (the routed gradient adds up in f32) and tiling ones (routed into bf16).
constexpr Window kOverlapping{3, 2, 1}, kTiling{2, 2, 0};

// conv(9 -> 12, 3x3, pad 1) + ReLU, the head of block()
shoal::nn::Sequential head() {
  shoal::nn::Sequential s;
  s.add(shoal::nn::SpatialConvolution(9, 12, 3, 3, 1, 1, 1, 1)).add(shoal::nn::ReLU());
  return s;
}

// On 7x11 images: max pooling through `w`, then conv(12 -> 10, 3x3), Flatten, Linear(-> 7): the
// tail of block()
shoal::nn::Sequential tail(Window w) {
  shoal::nn::Sequential s;
  s.add(shoal::nn::SpatialMaxPooling(w.kernel, w.kernel, w.stride, w.stride, w.pad, w.pad));
  s.add(shoal::nn::SpatialConvolution(12, 10, 3, 3)).add(shoal::nn::Flatten());
  s.add(shoal::nn::Linear(10 * (w.pooled(7) - 2) * (w.pooled(11) - 2), 7));
  return s;
}

// head() then tail(w) in one chain: the second convolution reads the fused block's output
shoal::nn::Sequential block(Window w) {
  shoal::nn::Sequential s = head();
  s.add(shoal::nn::SpatialMaxPooling(w.kernel, w.kernel, w.stride, w.stride, w.pad, w.pad));
  s.add(shoal::nn::SpatialConvolution(12, 10, 3, 3)).add(shoal::nn::Flatten());
  s.add(shoal::nn::Linear(10 * (w.pooled(7) - 2) * (w.pooled(11) - 2), 7));
  return s;
}

// Against float32 layers that pool the convolution's result rounded to bf16, as the bf16 block
// does (pooling f32 values instead moves the selection wherever two elements of a window round
// to one bf16 value: the gradient then goes to the other one, a few percent of it overall).
// Weights, input and output gradient are bf16 numbers, so the products multiply the same values.
void expectCloseToRoundedF32(Window w) {
  shoal::nn::manualSeed(1);
  shoal::nn::Sequential bf16 = block(w), first = head(), rest = tail(w);
  roundToBf16(bf16.flatParameters().values());
  auto pb = bf16.parameters(), pf = first.parameters(), pr = rest.parameters();
  pf.insert(pf.end(), pr.begin(), pr.end());
  ASSERT_EQ(pf.size(), pb.size());
  for (size_t i = 0; i < pb.size(); ++i) pf[i].value->copyFrom(*pb[i].value);
  bf16.setPrecision(Precision::BF16);
  ASSERT_EQ(bf16.plan().size(), 4u) << "conv + ReLU + pooling fused, conv, Flatten, Linear";
  Tensor x = randomTensor(Shape{3, 9, 7, 11}, 1);
  roundToBf16(x);

  Tensor conv = first.forward(x).clone();
  roundToBf16(conv);
  const Tensor& yf = rest.forward(conv);
  const Tensor& yb = bf16.forward(x);
  ASSERT_EQ(yb.dtype(), DType::F32);
  EXPECT_LT(relativeError(yb, yf), kBf16Tolerance);
  EXPECT_GT(relativeError(yb, yf), 1e-5) << "the block computed in bf16";

  Tensor grad = randomTensor(yf.shape(), 2);
  roundToBf16(grad);
  bf16.zeroGradParameters();
  first.zeroGradParameters();
  rest.zeroGradParameters();
  const Tensor& gf = first.backward(x, rest.backward(conv, grad));
  const Tensor& gb = bf16.backward(x, grad);
  EXPECT_EQ(gb.dtype(), DType::F32) << "the input gradient has the input's type";
  EXPECT_LT(relativeError(gb, gf), kBf16Tolerance) << "gradInput";
  for (size_t i = 0; i < pf.size(); ++i)
    EXPECT_LT(relativeError(*pb[i].grad, *pf[i].grad), kBf16Tolerance) << pb[i].name;
}

}  // namespace

TEST(Bf16ConvPool, OverlappingWindowsWithinTolerance) {
  SHOAL_SKIP_WITHOUT_BF16_KERNELS();
  expectCloseToRoundedF32(kOverlapping);
}

TEST(Bf16ConvPool, TilingWindowsRouteIntoBf16WithinTolerance) {
  SHOAL_SKIP_WITHOUT_BF16_KERNELS();
  expectCloseToRoundedF32(kTiling);
}

TEST(Bf16ConvPool, FusedAndUnfusedBf16AgreeAndTheFusedStepWritesBf16) {
  SHOAL_SKIP_WITHOUT_BF16_KERNELS();
  shoal::nn::manualSeed(2);
  shoal::nn::Sequential fused = block(kOverlapping), unfused = block(kOverlapping);
  unfused.flatParameters().values().copyFrom(fused.flatParameters().values());
  unfused.setFusion(false);
  fused.setPrecision(Precision::BF16);
  unfused.setPrecision(Precision::BF16);
  const Tensor x = randomTensor(Shape{2, 9, 7, 11}, 3);
  Tensor grad(Shape{2, 7});
  grad.fill(0.1f);
  fused.forward(x);
  fused.backward(x, grad);
  unfused.forward(x);
  unfused.backward(x, grad);
  EXPECT_LT(relativeError(fused.output(), unfused.output()), kBf16Tolerance);
  // The fused convolution + ReLU + pooling step writes bf16 for the second convolution, which
  // reads bf16; the unfused pooling, which has no bf16 path, writes f32. Gradients between
  // layers are f32 (the second convolution's input gradient; the fused step routes it).
  const Shape sample[] = {Shape{9, 7, 11}};
  const std::vector<shoal::nn::ChildRun> fusedRuns = fused.childRuns(sample), unfusedRuns = unfused.childRuns(sample);
  EXPECT_EQ(fusedRuns[0].writes, DType::BF16);
  EXPECT_EQ(fusedRuns[3].reads, DType::BF16);
  EXPECT_EQ(unfusedRuns[2].writes, DType::F32);
  EXPECT_EQ(fused.at(3).gradInput().dtype(), DType::F32);
}

TEST(Bf16ConvPool, Fp32BlockWritesF32) {
  shoal::nn::Sequential s = block(kTiling);
  const Tensor x = randomTensor(Shape{1, 9, 7, 11}, 4);
  s.forward(x);
  s.backward(x, randomTensor(Shape{1, 7}, 5));
  EXPECT_EQ(s.at(3).gradInput().dtype(), DType::F32);
}
