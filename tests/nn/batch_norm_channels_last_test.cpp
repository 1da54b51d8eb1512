// Batch normalisation over channels-last activations: the same results as over plain ones (op and module, f32 and bf16, fused ReLU), any thread count, gradients, bad layouts.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "shoal/backend/backend.hpp"
#include "shoal/backend/cpu_info.hpp"
#include "shoal/error.hpp"
#include "shoal/nn/epilogue.hpp"
#include "shoal/nn/plan_step.hpp"
#include "shoal/nn/spatial_batch_normalization.hpp"
#include "support/fixtures.hpp"
#include "support/gradient_check.hpp"

namespace shoal {
namespace {

using nn::SpatialBatchNormalization;
using testing::expectNear;
using testing::randomTensor;

Tensor channelsLast(const Tensor& t) { return t.toLayout(Layout::ChannelsLast); }
Tensor plain(const Tensor& t) { return t.toLayout(Layout::Plain); }

// A tensor of `shape` and `type` in `layout` (zeros).
Tensor activation(const Shape& shape, DType type, Layout layout) {
  Tensor t(shape, type);
  t.setLayout(layout);
  return t;
}

// One bf16 step at v (the spacing of bf16 values around it).
double bf16Ulp(double v) { return v == 0 ? 0 : std::ldexp(1.0, std::ilogb(v) - 7); }

// Activations computed with the sums in another order: f32 within 1e-5 relative; bf16 within one
// bf16 step (the f32 results may round to neighbouring bf16 values).
void expectActivationsAgree(const Tensor& actual, const Tensor& expected, const std::string& what) {
  ASSERT_EQ(actual.layout(), expected.layout()) << what;
  if (expected.dtype() == DType::F32) return expectNear(actual, expected, 1e-5, 1e-5, what);
  const std::vector<float> a = actual.toVector(), e = expected.toVector();
  int reported = 0;
  for (size_t i = 0; i < e.size(); ++i) {
    const double tol = std::max(bf16Ulp(a[i]), bf16Ulp(e[i])) + 1e-6;
    if (std::abs(a[i] - e[i]) > tol && reported++ < 5)
      ADD_FAILURE() << what << "[" << i << "]: got " << a[i] << ", expected " << e[i];
  }
}

// The op's three passes on the channels-last copies of plain inputs give the plain results:
// training (dst, mean, variance), inference (the same bits: no sums), backward with batch and
// with given statistics (gradSrc, weight and bias gradients), with and without the fused ReLU.
void expectLayoutsAgree(const Shape& shape, DType type, bool relu) {
  const std::string what = shape.str() + " " + std::string(dtypeName(type)) + (relu ? " relu" : "");
  const int64_t c = shape[1];
  auto op = backend::current().makeBatchNorm(1e-5, true);
  const Tensor weight = randomTensor({c}, 3, 0.5f, 1.5f), bias = randomTensor({c}, 4);
  const Tensor x = randomTensor(shape, 1, -2.0f, 3.0f).toType(type), g = randomTensor(shape, 2);
  const Tensor xl = channelsLast(x), gl = channelsLast(g);

  Tensor y = activation(shape, type, Layout::Plain), yl = activation(shape, type, Layout::ChannelsLast);
  Tensor mean({c}), variance({c}), meanL({c}), varianceL({c});
  op->forwardTraining(x, weight, bias, y, mean, variance, relu);
  op->forwardTraining(xl, weight, bias, yl, meanL, varianceL, relu);
  expectNear(meanL, mean, 1e-5, 1e-6, what + " mean");
  expectNear(varianceL, variance, 1e-5, 1e-7, what + " variance");
  expectActivationsAgree(plain(yl), y, what + " training dst");

  Tensor yi = activation(shape, type, Layout::Plain), yil = activation(shape, type, Layout::ChannelsLast);
  op->forwardInference(x, weight, bias, mean, variance, yi, relu);
  op->forwardInference(xl, weight, bias, mean, variance, yil, relu);
  expectNear(plain(yil).toType(DType::F32), yi.toType(DType::F32), 0, 0, what + " inference dst");

  const Tensor yTrained = channelsLast(y);  // the same ReLU mask for both backward passes
  for (bool batchStatistics : {true, false}) {
    const std::string pass = what + (batchStatistics ? " backward (batch)" : " backward (given)");
    Tensor gx(shape), gxl = activation(shape, DType::F32, Layout::ChannelsLast);
    Tensor gw({c}), gb({c}), gwl({c}), gbl({c});
    op->backward(x, g, relu ? &y : nullptr, weight, bias, mean, variance, batchStatistics, gx, gw, gb);
    op->backward(xl, gl, relu ? &yTrained : nullptr, weight, bias, mean, variance, batchStatistics,
                 gxl, gwl, gbl);
    expectNear(plain(gxl), gx, 1e-5, 1e-5, pass + " gradSrc");
    expectNear(gwl, gw, 1e-5, 1e-4, pass + " gradWeight");
    expectNear(gbl, gb, 1e-5, 1e-4, pass + " gradBias");
  }
}

// Odd channel counts (3 and 20: spans of several rows with a remainder), 16 and 64 (one row per
// span), more than one block of channels (1100), odd planes, and a batch large enough for several
// chunks on several threads.
const std::vector<Shape> kShapes = {{4, 3, 5, 7},    {3, 20, 7, 9},  {2, 16, 11, 13},
                                    {2, 64, 9, 7},   {2, 1100, 3, 3}, {8, 20, 23, 29}};

TEST(BatchNormChannelsLast, OpMatchesPlainF32) {
  for (const Shape& shape : kShapes)
    for (bool relu : {false, true}) expectLayoutsAgree(shape, DType::F32, relu);
}

TEST(BatchNormChannelsLast, OpMatchesPlainBf16) {
  for (const Shape& shape : kShapes)
    for (bool relu : {false, true}) expectLayoutsAgree(shape, DType::BF16, relu);
}

// Every pass on one thread and on two gives the same bits.
TEST(BatchNormChannelsLast, SameBitsForAnyThreadCount) {
  const Shape shape{8, 20, 23, 29};
  const int threads = backend::threadCount();
  for (DType type : {DType::F32, DType::BF16}) {
    const Tensor x = channelsLast(randomTensor(shape, 5, -1.0f, 2.0f).toType(type));
    const Tensor g = channelsLast(randomTensor(shape, 6));
    std::vector<float> runs[2];
    for (int r = 0; r < 2; ++r) {
      backend::setThreadCount(r + 1);
      auto op = backend::current().makeBatchNorm(1e-5, true);
      const Tensor weight = randomTensor({20}, 7, 0.5f, 1.5f), bias = randomTensor({20}, 8);
      Tensor y = activation(shape, type, Layout::ChannelsLast), yi = y.clone();
      Tensor gx = activation(shape, DType::F32, Layout::ChannelsLast);
      Tensor mean({20}), variance({20}), gw({20}), gb({20});
      op->forwardTraining(x, weight, bias, y, mean, variance, true);
      op->forwardInference(x, weight, bias, mean, variance, yi, true);
      op->backward(x, g, &y, weight, bias, mean, variance, true, gx, gw, gb);
      for (const Tensor* t : {&y, &yi, &mean, &variance, &gx, &gw, &gb}) {
        const std::vector<float> v = t->toVector();
        runs[r].insert(runs[r].end(), v.begin(), v.end());
      }
    }
    backend::setThreadCount(threads);
    EXPECT_TRUE(runs[0] == runs[1]) << dtypeName(type);
  }
}

// Two layers with the same random scale and shift.
void randomiseAffine(SpatialBatchNormalization& bn) {
  bn.weight().copyFrom(randomTensor(bn.weight().shape(), 99, 0.5f, 1.5f));
  bn.bias().copyFrom(randomTensor(bn.bias().shape(), 98));
}

// The module (and the step with its fused ReLU, BatchNormReluStep) keeps the input's layout for
// its output and input gradient, with the plain results, in training and in evaluation; the
// running statistics move alike.
TEST(BatchNormChannelsLast, ModuleKeepsTheLayoutWithThePlainResults) {
  const Shape shape{3, 20, 7, 9};
  for (DType type : {DType::F32, DType::BF16}) {
    SpatialBatchNormalization onPlain(20), onLast(20);
    for (SpatialBatchNormalization* bn : {&onPlain, &onLast}) {
      randomiseAffine(*bn);
      if (type == DType::BF16) {
        bn->setPrecision(nn::Precision::BF16);
        bn->setOutputBf16(true);
      }
    }
    EXPECT_TRUE(onLast.acceptsChannelsLastInput());
    EXPECT_TRUE(onLast.outputFollowsInputLayout());
    const Tensor x = randomTensor(shape, 1, -1.0f, 2.0f).toType(type), g = randomTensor(shape, 2);
    const Tensor xl = channelsLast(x), gl = channelsLast(g);
    const std::string what = dtypeName(type).data();
    for (bool training : {true, false}) {
      onPlain.setTraining(training);
      onLast.setTraining(training);
      const Tensor& y = onLast.forward(xl);
      EXPECT_EQ(y.layout(), Layout::ChannelsLast);
      expectActivationsAgree(plain(y), onPlain.forward(x), what + " output");
      onPlain.zeroGradParameters();
      onLast.zeroGradParameters();
      const Tensor& gx = onLast.backward(xl, gl);
      EXPECT_EQ(gx.layout(), Layout::ChannelsLast);
      expectNear(plain(gx), onPlain.backward(x, g), 1e-5, 1e-5, what + " gradInput");
      expectNear(onLast.gradWeight(), onPlain.gradWeight(), 1e-5, 1e-4, what + " gradWeight");
      expectNear(onLast.gradBias(), onPlain.gradBias(), 1e-5, 1e-4, what + " gradBias");

      nn::Epilogue relu;
      relu.kind = nn::Epilogue::Kind::Relu;
      std::unique_ptr<nn::PlanStep> fusedPlain = onPlain.fuse({&relu, 1}),
                                    fusedLast = onLast.fuse({&relu, 1});
      ASSERT_TRUE(fusedPlain && fusedLast);
      const Tensor& yr = fusedLast->forward(xl);
      EXPECT_EQ(yr.layout(), Layout::ChannelsLast);
      expectActivationsAgree(plain(yr), fusedPlain->forward(x), what + " fused ReLU output");
      const Tensor& gxr = fusedLast->backward(xl, gl);
      EXPECT_EQ(gxr.layout(), Layout::ChannelsLast);
      expectNear(plain(gxr), fusedPlain->backward(x, g), 1e-5, 1e-5, what + " fused ReLU gradInput");
    }
    expectNear(onLast.runningMean(), onPlain.runningMean(), 1e-5, 1e-6, what + " runningMean");
    expectNear(onLast.runningVar(), onPlain.runningVar(), 1e-5, 1e-6, what + " runningVar");
    // A plain input after a channels-last one gives a plain output again.
    EXPECT_EQ(onLast.forward(x).layout(), Layout::Plain);
  }
}

TEST(BatchNormChannelsLast, GradientsInTraining) {
  SpatialBatchNormalization bn(3);
  randomiseAffine(bn);
  testing::expectModuleGradients(bn, channelsLast(randomTensor({4, 3, 3, 5}, 1, -2.0f, 2.0f)));
  EXPECT_EQ(bn.output().layout(), Layout::ChannelsLast);
}

TEST(BatchNormChannelsLast, GradientsInEvaluation) {
  SpatialBatchNormalization bn(5);
  randomiseAffine(bn);
  bn.runningMean().copyFrom(randomTensor({5}, 3));
  bn.runningVar().copyFrom(randomTensor({5}, 4, 0.5f, 2.0f));
  bn.evaluate();
  testing::expectModuleGradients(bn, channelsLast(randomTensor({3, 5, 4, 3}, 5)));
}

// The error message names the argument in the wrong layout.
template <class Call>
void expectUsageErrorNaming(Call call, const std::string& name) {
  try {
    call();
    ADD_FAILURE() << "no UsageError naming " << name;
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
  }
}

TEST(BatchNormChannelsLast, RefusesActivationsInAnotherLayout) {
  const Shape shape{2, 4, 3, 3};
  auto op = backend::current().makeBatchNorm(1e-5, true);
  const Tensor weight = randomTensor({4}, 1), bias = randomTensor({4}, 2);
  const Tensor x = channelsLast(randomTensor(shape, 3)), gPlain = randomTensor(shape, 4);
  Tensor y = activation(shape, DType::F32, Layout::ChannelsLast), mean({4}), variance({4});
  op->forwardTraining(x, weight, bias, y, mean, variance, true);
  Tensor gx = activation(shape, DType::F32, Layout::ChannelsLast), gw({4}), gb({4});
  expectUsageErrorNaming([&] {
    op->backward(x, gPlain, nullptr, weight, bias, mean, variance, true, gx, gw, gb);
  }, "gradDst");
  const Tensor yPlain = plain(y), g = channelsLast(gPlain);
  expectUsageErrorNaming([&] {
    op->backward(x, g, &yPlain, weight, bias, mean, variance, true, gx, gw, gb);
  }, "reluDst");
  Tensor dstPlain(shape);
  expectUsageErrorNaming([&] {
    op->forwardTraining(x, weight, bias, dstPlain, mean, variance, false);
  }, "dst");

  SpatialBatchNormalization bn(4);
  bn.setLabel("node bn1");
  bn.forward(x);
  expectUsageErrorNaming([&] { bn.backward(x, gPlain); }, "node bn1: gradOutput");
}

}  // namespace
}  // namespace shoal
