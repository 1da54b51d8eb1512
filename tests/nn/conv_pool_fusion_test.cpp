// SpatialConvolution fuses a following ReLU and SpatialMaxPooling: same outputs and gradients as the layers run apart.
#include <gtest/gtest.h>

#include <string>

#include "shoal/error.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/nn/relu.hpp"
#include "shoal/nn/sequential.hpp"
#include "shoal/nn/spatial_convolution.hpp"
#include "shoal/nn/spatial_max_pooling.hpp"
#include "support/gradient_check.hpp"

using shoal::Shape;
using shoal::Tensor;
using shoal::testing::randomTensor;
namespace nn = shoal::nn;

namespace {

struct Geometry {
  int64_t in, out, kernel, pad;  // convolution
  int64_t poolKernel, poolStride, poolPad;
  bool ceil;
};

nn::SpatialConvolution makeConv(const Geometry& g, uint64_t seed) {
  nn::manualSeed(seed);
  return nn::SpatialConvolution(g.in, g.out, g.kernel, g.kernel, 1, 1, g.pad, g.pad);
}

nn::SpatialMaxPooling makePool(const Geometry& g) {
  return nn::SpatialMaxPooling(g.poolKernel, g.poolKernel, g.poolStride, g.poolStride, g.poolPad,
                               g.poolPad, g.ceil);
}

void expectNear(const Tensor& actual, const Tensor& expected, float tolerance,
                const std::string& what) {
  ASSERT_EQ(actual.shape(), expected.shape()) << what;
  for (int64_t i = 0; i < actual.numel(); ++i)
    ASSERT_NEAR(actual[i], expected[i], tolerance) << what << " at " << i;
}

// conv -> [ReLU] -> max pooling fused in one Sequential against the three modules run apart,
// over two steps (the second with new values at the same addresses).
void expectSameAsSeparate(const Geometry& g, bool relu, const Shape& inputShape) {
  nn::Sequential fused;
  fused.add(makeConv(g, 5));
  if (relu) fused.add(nn::ReLU());
  fused.add(makePool(g));
  ASSERT_EQ(fused.plan().size(), 1u);  // one fused step
  auto& fusedConv = dynamic_cast<nn::SpatialConvolution&>(fused.at(0));

  nn::SpatialConvolution conv = makeConv(g, 5);
  nn::ReLU reluModule;
  nn::SpatialMaxPooling pool = makePool(g);

  Tensor x = randomTensor(inputShape, 31);
  Tensor gradY;
  for (int step = 0; step < 2; ++step) {
    Tensor fresh = randomTensor(inputShape, 40 + step);
    x.copyFrom(fresh);
    const Tensor& convOut = conv.forward(x);
    const Tensor& activated = relu ? reluModule.forward(convOut) : convOut;
    const Tensor& expected = pool.forward(activated);
    const Tensor& y = fused.forward(x);
    expectNear(y, expected, 1e-5f, "output");
    // The fused step writes its own buffer: the convolution module holds no output of its own.
    EXPECT_FALSE(fusedConv.output().defined());

    Tensor freshGrad = randomTensor(y.shape(), 50 + step);
    if (step == 0) gradY = Tensor(y.shape());
    gradY.copyFrom(freshGrad);
    conv.zeroGradParameters();
    const Tensor& gradPool = pool.backward(activated, gradY);
    const Tensor& gradConv = relu ? reluModule.backward(convOut, gradPool) : gradPool;
    const Tensor& expectedGradX = conv.backward(x, gradConv);
    fused.flatParameters().zeroGrads();
    const Tensor& gradX = fused.backward(x, gradY);
    expectNear(gradX, expectedGradX, 1e-5f, "gradInput");
    expectNear(fusedConv.gradWeight(), conv.gradWeight(), 1e-4f, "gradWeight");
    expectNear(fusedConv.gradBias(), conv.gradBias(), 1e-4f, "gradBias");

    // Training's parameter-only pass gives the same parameter gradients.
    fused.flatParameters().zeroGrads();
    fused.backwardParameters(x, gradY);
    expectNear(fusedConv.gradWeight(), conv.gradWeight(), 1e-4f, "gradWeight (parameters only)");
    expectNear(fusedConv.gradBias(), conv.gradBias(), 1e-4f, "gradBias (parameters only)");
  }
}

}  // namespace

TEST(ConvPoolFusion, LeNetFirstBlockMatchesSeparateLayers) {
  expectSameAsSeparate({1, 6, 5, 2, 2, 2, 0, false}, true, Shape{4, 1, 28, 28});
}

TEST(ConvPoolFusion, LeNetSecondBlockMatchesSeparateLayers) {
  expectSameAsSeparate({6, 16, 5, 0, 2, 2, 0, false}, true, Shape{4, 6, 14, 14});
}

TEST(ConvPoolFusion, OverlappingPaddedCeilPoolingMatchesSeparateLayers) {
  expectSameAsSeparate({3, 5, 3, 1, 3, 2, 1, true}, true, Shape{2, 3, 9, 8});
}

TEST(ConvPoolFusion, PoolingWithoutReluMatchesSeparateLayers) {
  expectSameAsSeparate({2, 7, 3, 0, 2, 2, 0, false}, false, Shape{3, 2, 10, 10});
}

// One input plane (shoal's own passes with AVX-512 for 3x3 and 5x5 kernels and 2x2 pooling):
// rows of 1 to 4 vectors, output plane counts around the planes computed at once, without the
// ReLU; and what stays on oneDNN: an odd output, an overlapping pooling, a 7x7 kernel.
TEST(ConvPoolFusion, OnePlaneBlocksMatchSeparateLayers) {
  expectSameAsSeparate({1, 8, 3, 1, 2, 2, 0, false}, true, Shape{3, 1, 12, 10});
  expectSameAsSeparate({1, 7, 5, 2, 2, 2, 0, false}, true, Shape{2, 1, 6, 30});
  expectSameAsSeparate({1, 5, 3, 0, 2, 2, 0, false}, true, Shape{2, 1, 8, 46});
  expectSameAsSeparate({1, 4, 5, 4, 2, 2, 0, false}, true, Shape{2, 1, 4, 54});
  expectSameAsSeparate({1, 9, 3, 1, 2, 2, 0, false}, false, Shape{2, 1, 10, 10});
  expectSameAsSeparate({1, 3, 3, 0, 2, 2, 0, false}, true, Shape{2, 1, 9, 9});
  expectSameAsSeparate({1, 4, 3, 1, 3, 2, 1, true}, true, Shape{2, 1, 9, 8});
  expectSameAsSeparate({1, 2, 7, 3, 2, 2, 0, false}, true, Shape{2, 1, 8, 8});
}

TEST(ConvPoolFusion, GradientCheckThroughFusedBlock) {
  nn::manualSeed(12);
  nn::Sequential fused;
  fused.add(nn::SpatialConvolution(2, 4, 3, 3, 1, 1, 1, 1)).add(nn::ReLU()).add(nn::SpatialMaxPooling(2, 2));
  ASSERT_EQ(fused.plan().size(), 1u);
  shoal::testing::expectModuleGradients(fused, randomTensor(Shape{2, 2, 6, 6}, 25));
}

TEST(ConvPoolFusion, ShapesStayThoseOfTheSeparateLayers) {
  nn::Sequential fused;
  fused.add(nn::SpatialConvolution(1, 3, 3, 3)).add(nn::ReLU()).add(nn::SpatialMaxPooling(2, 2));
  EXPECT_EQ(fused.at(0).outputShape(Shape{1, 6, 6}), (Shape{3, 4, 4}));
  EXPECT_EQ(fused.outputShape(Shape{1, 6, 6}), (Shape{3, 2, 2}));
  // Pooled to 1x1: the pass-through pooling accepts the pooled tensor.
  Tensor x = randomTensor(Shape{2, 1, 4, 4}, 3);
  EXPECT_EQ(fused.forward(x).shape(), (Shape{2, 3, 1, 1}));
  fused.backward(x, randomTensor(Shape{2, 3, 1, 1}, 4));
  // The fused convolution reports a pooling that does not fit, naming the pooling layer.
  try {
    fused.forward(randomTensor(Shape{2, 1, 3, 3}, 5));
    FAIL() << "expected a ShapeError";
  } catch (const shoal::ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("layer 3 (SpatialMaxPooling"), std::string::npos) << e.what();
  }
}

TEST(ConvPoolFusion, SecondPoolingIsNotFused) {
  nn::Sequential model;
  model.add(nn::SpatialConvolution(1, 2, 3, 3)).add(nn::SpatialMaxPooling(2, 2)).add(nn::ReLU()).add(nn::SpatialMaxPooling(2, 2));
  const nn::ExecutionPlan& plan = model.plan();
  ASSERT_EQ(plan.size(), 3u);  // conv + pooling, ReLU, pooling
  EXPECT_EQ(plan.step(0).modules(), 2u);
  EXPECT_EQ(plan.describe(0), "layer 1 (SpatialConvolution(1 -> 2, 3x3)) + SpatialMaxPooling(2x2)");
}
