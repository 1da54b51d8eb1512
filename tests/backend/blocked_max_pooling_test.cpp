// BlockedMaxPooling against oneDNN's plain max pooling, in every block size, with every build (baseline, AVX2, AVX-512), f32 and bf16.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "backend/cpu/blocked_max_pooling.hpp"
#include "backend/cpu/blocked_max_pooling_kernels.hpp"
#include "shoal/backend/backend.hpp"
#include "shoal/error.hpp"
#include "shoal/nn/relu.hpp"
#include "shoal/nn/sequential.hpp"
#include "shoal/nn/spatial_convolution.hpp"
#include "shoal/nn/spatial_max_pooling.hpp"
#include "support/gradient_check.hpp"

using shoal::Shape;
using shoal::Tensor;
using shoal::testing::randomTensor;
namespace cpu = shoal::backend::cpu;
using shoal::backend::PoolingGeometry;

namespace {

constexpr float kPadding = 1e30f;  // what padded lanes hold on input: never selected, never output

// A [N, C, H, W] tensor in a channel-blocked layout: the layout and its padded storage.
struct Blocked {
  cpu::ChannelBlocks layout;
  std::vector<float> data;

  Blocked(const Shape& s, int64_t block, bool nhwc = false) {
    int64_t n = s[0], c = s[1], h = s[2], w = s[3], blocks = (c + block - 1) / block;
    if (nhwc) {  // plain NHWC: blocks of 1 lane with the channel stride 1
      layout = {.block = 1, .batch = h * w * c, .channelBlock = 1, .row = w * c, .column = c};
    } else {
      layout = {.block = block, .batch = blocks * h * w * block, .channelBlock = h * w * block,
                .row = w * block, .column = block};
    }
    data.assign(static_cast<size_t>(n * blocks * h * w * block), kPadding);
  }

  float& at(int64_t n, int64_t c, int64_t y, int64_t x) {
    return data[n * layout.batch + (c / layout.block) * layout.channelBlock + y * layout.row +
                x * layout.column + c % layout.block];
  }

  void fill(const Tensor& plain) {
    const Shape& s = plain.shape();
    for (int64_t n = 0; n < s[0]; ++n)
      for (int64_t c = 0; c < s[1]; ++c)
        for (int64_t y = 0; y < s[2]; ++y)
          for (int64_t x = 0; x < s[3]; ++x) at(n, c, y, x) = plain[((n * s[1] + c) * s[2] + y) * s[3] + x];
  }

  Tensor plain(const Shape& s) {
    Tensor t(s);
    for (int64_t n = 0; n < s[0]; ++n)
      for (int64_t c = 0; c < s[1]; ++c)
        for (int64_t y = 0; y < s[2]; ++y)
          for (int64_t x = 0; x < s[3]; ++x) t[((n * s[1] + c) * s[2] + y) * s[3] + x] = at(n, c, y, x);
    return t;
  }
};

struct Case {
  std::string name;
  Shape src;  // [N, C, H, W]
  int64_t block;
  bool nhwc;
  PoolingGeometry g;
};

std::vector<Case> cases() {
  PoolingGeometry two{.kernelH = 2, .kernelW = 2, .strideH = 2, .strideW = 2};
  PoolingGeometry overlapping{.kernelH = 3, .kernelW = 3, .strideH = 2, .strideW = 2,
                                   .padH = 1, .padW = 1, .ceilMode = true};
  PoolingGeometry gaps{.kernelH = 2, .kernelW = 1, .strideH = 3, .strideW = 2};
  PoolingGeometry stride1{.kernelH = 3, .kernelW = 2, .strideH = 1, .strideW = 1};
  return {
      {"LeNet first block, 16 lanes, 6 real", Shape{3, 6, 28, 28}, 16, false, two},
      {"odd size (floor leaves a row and a column)", Shape{2, 16, 9, 7}, 16, false, two},
      {"8 lanes, two blocks, the last one partial", Shape{2, 11, 8, 8}, 8, false, two},
      {"overlapping padded ceil-mode windows, 8 lanes", Shape{2, 5, 9, 8}, 8, false, overlapping},
      {"windows with gaps between them, 4 lanes", Shape{2, 7, 10, 9}, 4, false, gaps},
      {"stride 1, 2 lanes", Shape{1, 3, 6, 5}, 2, false, stride1},
      {"plain NCHW", Shape{2, 3, 9, 8}, 1, false, overlapping},
      {"plain NHWC", Shape{2, 5, 8, 8}, 1, true, two},
  };
}

void expectSame(const Tensor& actual, const Tensor& expected, float tolerance,
                const std::string& what) {
  ASSERT_EQ(actual.shape(), expected.shape()) << what;
  for (int64_t i = 0; i < actual.numel(); ++i)
    ASSERT_NEAR(actual[i], expected[i], tolerance) << what << " at " << i;
}

cpu::BlockedMaxPooling poolingFor(const Case& c, const Blocked& b, bool mask) {
  return cpu::BlockedMaxPooling({c.src[0], c.src[1], c.src[2], c.src[3]}, b.layout, c.g, mask);
}

}  // namespace

// Forward and backward against oneDNN's max pooling on plain tensors; with the ReLU mask against
// the pooled gradient zeroed where the pooled value is not positive.
TEST(BlockedMaxPooling, MatchesPlainPoolingInEveryLayout) {
  for (const Case& c : cases()) {
    for (bool mask : {false, true}) {
      SCOPED_TRACE(c.name + (mask ? ", ReLU mask" : ""));
      Tensor x = randomTensor(c.src, 11);
      auto reference =
          shoal::backend::current().makePooling(shoal::backend::PoolingAlgorithm::Max, c.g);
      Blocked src(c.src, c.block, c.nhwc);
      src.fill(x);
      cpu::BlockedMaxPooling pooling = poolingFor(c, src, mask);
      Shape pooled{c.src[0], c.src[1], pooling.pass().ph, pooling.pass().pw};

      Tensor expected(pooled), actual(pooled);
      reference->forward(x, expected);
      pooling.forward(src.data.data(), actual.data());
      expectSame(actual, expected, 0.0f, "pooled");

      Tensor grad = randomTensor(pooled, 12);
      Tensor passed = grad;
      if (mask)
        for (int64_t i = 0; i < passed.numel(); ++i)
          if (!(expected[i] > 0.0f)) passed[i] = 0.0f;
      Tensor expectedGrad(c.src);
      reference->backward(passed, expectedGrad);
      Blocked gradSrc(c.src, c.block, c.nhwc);  // starts as kPadding everywhere: all overwritten
      pooling.backward(grad.data(), gradSrc.data.data());
      expectSame(gradSrc.plain(c.src), expectedGrad, 1e-6f, "gradient");
      for (float v : gradSrc.data) ASSERT_LT(std::fabs(v), 1e29f) << "an element was not written";
    }
  }
}

TEST(BlockedMaxPooling, PaddedLanesOfTheGradientAreZero) {
  Shape s{2, 6, 4, 4};
  PoolingGeometry g{.kernelH = 2, .kernelW = 2, .strideH = 2, .strideW = 2};
  Blocked src(s, 16);
  src.fill(randomTensor(s, 3));
  cpu::BlockedMaxPooling pooling({2, 6, 4, 4}, src.layout, g, false);
  Tensor pooled(Shape{2, 6, 2, 2});
  pooling.forward(src.data.data(), pooled.data());
  Blocked gradSrc(s, 16);
  pooling.backward(randomTensor(pooled.shape(), 4).data(), gradSrc.data.data());
  for (size_t i = 0; i < gradSrc.data.size(); ++i)
    if (static_cast<int64_t>(i) % 16 >= 6) {
      ASSERT_EQ(gradSrc.data[i], 0.0f) << i;
    }
}

// Ties select the first maximum in row-major order; a NaN in a window is the window's result.
TEST(BlockedMaxPooling, TiesSelectTheFirstMaximumAndNaNPropagates) {
  Shape s{1, 2, 2, 2};
  PoolingGeometry g{.kernelH = 2, .kernelW = 2, .strideH = 2, .strideW = 2};
  Blocked src(s, 8);
  for (int64_t y = 0; y < 2; ++y)
    for (int64_t x = 0; x < 2; ++x) {
      src.at(0, 0, y, x) = 0.5f;  // four equal values
      src.at(0, 1, y, x) = static_cast<float>(y * 2 + x);
    }
  src.at(0, 1, 0, 1) = std::numeric_limits<float>::quiet_NaN();
  cpu::BlockedMaxPooling pooling({1, 2, 2, 2}, src.layout, g, false);
  Tensor pooled(Shape{1, 2, 1, 1});
  pooling.forward(src.data.data(), pooled.data());
  EXPECT_EQ(pooled[0], 0.5f);
  EXPECT_TRUE(std::isnan(pooled[1]));
  Tensor grad(Shape{1, 2, 1, 1});
  grad[0] = 1.0f;
  grad[1] = 2.0f;
  Blocked gradSrc(s, 8);
  pooling.backward(grad.data(), gradSrc.data.data());
  EXPECT_EQ(gradSrc.at(0, 0, 0, 0), 1.0f);
  EXPECT_EQ(gradSrc.at(0, 0, 0, 1) + gradSrc.at(0, 0, 1, 0) + gradSrc.at(0, 0, 1, 1), 0.0f);
  EXPECT_EQ(gradSrc.at(0, 1, 0, 1), 2.0f);  // the NaN's position
  EXPECT_EQ(gradSrc.at(0, 1, 1, 1), 0.0f);
}

// The AVX2 and AVX-512 builds give the baseline build's bits (each where the CPU has it).
TEST(BlockedMaxPooling, EveryBuildAgreesWithTheBaseline) {
  using Forward = void (*)(const cpu::PoolingPass&, const float*, float*, uint8_t*);
  using Backward = void (*)(const cpu::PoolingPass&, const float*, const uint8_t*, float*);
  struct Build {
    const char* name;
    bool available;
    Forward forward;
    Backward backward;
  };
  const Build builds[] = {
      {"AVX2", __builtin_cpu_supports("avx2") != 0, cpu::forwardPassAvx2, cpu::backwardPassAvx2},
      {"AVX-512", __builtin_cpu_supports("avx512f") != 0, cpu::forwardPassAvx512, cpu::backwardPassAvx512}};
  if (!builds[0].available) GTEST_SKIP() << "this CPU has neither AVX2 nor AVX-512F";
  for (const Build& build : builds) {
    if (!build.available) continue;  // (AVX-512 where the CPU has only AVX2)
    for (const Case& c : cases()) {
      SCOPED_TRACE(std::string(build.name) + ", " + c.name);
      Blocked src(c.src, c.block, c.nhwc);
      src.fill(randomTensor(c.src, 21));
      // The baseline passes are this test's own build of the kernels, the others the library's.
      cpu::BlockedMaxPooling pooling = poolingFor(c, src, true);
      const cpu::PoolingPass& pass = pooling.pass();
      const int64_t ph = pass.ph, pw = pass.pw;
      size_t selections = static_cast<size_t>(c.src[0] * pass.blocks * ph * pw * src.layout.block);
      std::vector<uint8_t> selBase(selections), selBuild(selections);
      Tensor outBase(Shape{c.src[0], c.src[1], ph, pw}), outBuild(outBase.shape());
      cpu::forwardPass(pass, src.data.data(), outBase.data(), selBase.data());
      build.forward(pass, src.data.data(), outBuild.data(), selBuild.data());
      expectSame(outBuild, outBase, 0.0f, "pooled");
      EXPECT_EQ(selBuild, selBase);
      Tensor grad = randomTensor(outBase.shape(), 22);
      Blocked gradBase(c.src, c.block, c.nhwc), gradBuild(c.src, c.block, c.nhwc);
      cpu::backwardPass(pass, grad.data(), selBase.data(), gradBase.data.data());
      build.backward(pass, grad.data(), selBuild.data(), gradBuild.data.data());
      EXPECT_EQ(gradBuild.data, gradBase.data);
    }
  }
}

// A bf16 convolution's result read as bf16: the same maxima and selections as the f32 pass over
// the same (bf16-representable) values, the output written as f32 or bf16 (exactly: a maximum
// of bf16 values is one), a bf16 pooled gradient routed as its f32 widening, into f32 or (tiling
// windows) bf16; in the build this CPU runs.
TEST(BlockedMaxPooling, ReadsAndWritesBf16AsItsF32PassOnTheSameValues) {
  using shoal::bfloat16;
  for (const Case& c : cases()) {
    for (bool mask : {false, true}) {
      SCOPED_TRACE(c.name + (mask ? ", ReLU mask" : ""));
      Tensor x = randomTensor(c.src, 31).toType(shoal::DType::BF16).toType(shoal::DType::F32);
      Blocked src(c.src, c.block, c.nhwc);
      src.fill(x);
      std::vector<bfloat16> srcBf16(src.data.size());
      for (size_t i = 0; i < src.data.size(); ++i) srcBf16[i] = bfloat16(src.data[i]);
      cpu::BlockedMaxPooling f32 = poolingFor(c, src, mask), bf16 = poolingFor(c, src, mask);
      const cpu::PoolingPass& pass = f32.pass();
      Shape pooled{c.src[0], c.src[1], pass.ph, pass.pw};
      Tensor expected(pooled), widened(pooled), narrow(pooled, shoal::DType::BF16);
      f32.forward(src.data.data(), expected.data());
      bf16.forward(srcBf16.data(), widened.data());
      expectSame(widened, expected, 0.0f, "bf16 read, f32 written");
      bf16.forward(srcBf16.data(), narrow.data<bfloat16>());
      expectSame(narrow.toType(shoal::DType::F32), expected, 0.0f, "bf16 read, bf16 written");

      Tensor grad = randomTensor(pooled, 32).toType(shoal::DType::BF16);
      Blocked expectedGrad(c.src, c.block, c.nhwc), actualGrad(c.src, c.block, c.nhwc);
      f32.backward(grad.toType(shoal::DType::F32).data(), expectedGrad.data.data());
      bf16.backward(grad.data<bfloat16>(), actualGrad.data.data());
      EXPECT_EQ(actualGrad.data, expectedGrad.data) << "the same selections route the same values";
      // Into a bf16 gradient (for bf16 products) where the windows tile the input: the f32
      // gradient rounded, element by element; overlapping windows, which add up, are refused.
      std::vector<bfloat16> routedBf16(expectedGrad.data.size());
      if (bf16.tiles()) {
        bf16.backward(grad.data<bfloat16>(), routedBf16.data());
        for (size_t i = 0; i < routedBf16.size(); ++i)
          ASSERT_EQ(routedBf16[i].bits, bfloat16(expectedGrad.data[i]).bits) << "element " << i;
      } else {
        EXPECT_THROW(bf16.backward(grad.data<bfloat16>(), routedBf16.data()), shoal::Error);
      }

      if (!__builtin_cpu_supports("avx512f")) continue;
      size_t selections = static_cast<size_t>(c.src[0] * pass.blocks * pass.ph * pass.pw * c.block);
      std::vector<uint8_t> selBase(selections), selAvx(selections);
      Tensor outBase(pooled, shoal::DType::BF16), outAvx(pooled, shoal::DType::BF16);
      cpu::forwardPass(pass, srcBf16.data(), outBase.data<bfloat16>(), selBase.data());
      cpu::forwardPassAvx512(pass, srcBf16.data(), outAvx.data<bfloat16>(), selAvx.data());
      EXPECT_EQ(outAvx.toVector(), outBase.toVector());
      EXPECT_EQ(selAvx, selBase);
      Blocked gradBase(c.src, c.block, c.nhwc), gradAvx(c.src, c.block, c.nhwc);
      cpu::backwardPass(pass, grad.data<bfloat16>(), selBase.data(), gradBase.data.data());
      cpu::backwardPassAvx512(pass, grad.data<bfloat16>(), selAvx.data(), gradAvx.data.data());
      EXPECT_EQ(gradAvx.data, gradBase.data);
      std::vector<bfloat16> bf16Base(gradBase.data.size()), bf16Avx(gradBase.data.size());
      cpu::backwardPass(pass, grad.data<bfloat16>(), selBase.data(), bf16Base.data());
      cpu::backwardPassAvx512(pass, grad.data<bfloat16>(), selAvx.data(), bf16Avx.data());
      for (size_t i = 0; i < bf16Base.size(); ++i) ASSERT_EQ(bf16Avx[i].bits, bf16Base[i].bits) << i;
    }
  }
}

TEST(BlockedMaxPooling, RefusesBlocksAndWindowsItCannotHold) {
  cpu::ChannelBlocks three{.block = 3, .batch = 48, .channelBlock = 48, .row = 12, .column = 3};
  PoolingGeometry two{.kernelH = 2, .kernelW = 2, .strideH = 2, .strideW = 2};
  EXPECT_FALSE(cpu::BlockedMaxPooling::supports(3));
  EXPECT_THROW(cpu::BlockedMaxPooling({1, 3, 4, 4}, three, two, false), shoal::Error);
  cpu::ChannelBlocks plain{.block = 1, .batch = 256 * 256, .channelBlock = 256 * 256, .row = 256,
                           .column = 1};
  PoolingGeometry huge{.kernelH = 16, .kernelW = 16, .strideH = 16, .strideW = 16};
  EXPECT_THROW(cpu::BlockedMaxPooling({1, 1, 256, 256}, plain, huge, false), shoal::Error);
}

// A pooling whose windows hold more positions than a byte can name stays a module of its own.
TEST(BlockedMaxPooling, ConvolutionDoesNotTakeOverWindowsItCannotHold) {
  namespace nn = shoal::nn;
  nn::Sequential model;
  model.add(nn::SpatialConvolution(1, 2, 3, 3)).add(nn::ReLU()).add(nn::SpatialMaxPooling(16, 16));
  ASSERT_EQ(model.plan().size(), 2u);  // conv + ReLU, then the pooling alone
  EXPECT_EQ(model.plan().firstModule(1), 2u);
  Tensor x = randomTensor(Shape{1, 1, 18, 18}, 5);
  EXPECT_EQ(model.forward(x).shape(), (Shape{1, 2, 1, 1}));
}
