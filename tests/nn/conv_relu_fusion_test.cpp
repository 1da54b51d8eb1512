// SpatialConvolution fuses a following ReLU: same output and gradients as the layers run apart.
#include <gtest/gtest.h>

#include "shoal/nn/flat_parameters.hpp"
#include "shoal/nn/relu.hpp"
#include "shoal/nn/sequential.hpp"
#include "shoal/nn/spatial_convolution.hpp"
#include "support/gradient_check.hpp"

using shoal::Shape;
using shoal::Tensor;
using shoal::testing::randomTensor;
namespace nn = shoal::nn;

TEST(ConvReluFusion, SameOutputAndGradientsAsSeparateLayers) {
  nn::manualSeed(9);
  nn::Sequential fused;
  fused.add(nn::SpatialConvolution(2, 5, 3, 3, 1, 1, 1, 1)).add(nn::ReLU());
  EXPECT_EQ(fused.plan().size(), 1u);

  nn::manualSeed(9);
  nn::SpatialConvolution conv(2, 5, 3, 3, 1, 1, 1, 1);
  nn::ReLU relu;

  Tensor x = randomTensor(Shape{3, 2, 6, 6}, 21);
  const Tensor& expected = relu.forward(conv.forward(x));
  const Tensor& y = fused.forward(x);
  ASSERT_EQ(y.shape(), expected.shape());
  for (int64_t i = 0; i < y.numel(); ++i) ASSERT_NEAR(y[i], expected[i], 1e-6f) << "at " << i;

  Tensor gradY = randomTensor(y.shape(), 22);
  conv.gradWeight().fill(0.0f);
  conv.gradBias().fill(0.0f);
  const Tensor& expectedGradX = conv.backward(x, relu.backward(conv.output(), gradY));
  fused.flatParameters().zeroGrads();
  const Tensor& gradX = fused.backward(x, gradY);
  for (int64_t i = 0; i < gradX.numel(); ++i)
    ASSERT_NEAR(gradX[i], expectedGradX[i], 1e-5f) << "gradInput at " << i;
  auto& fusedConv = dynamic_cast<nn::SpatialConvolution&>(fused.at(0));
  for (int64_t i = 0; i < conv.gradWeight().numel(); ++i)
    ASSERT_NEAR(fusedConv.gradWeight()[i], conv.gradWeight()[i], 1e-4f) << "gradWeight at " << i;
  for (int64_t i = 0; i < conv.gradBias().numel(); ++i)
    ASSERT_NEAR(fusedConv.gradBias()[i], conv.gradBias()[i], 1e-4f) << "gradBias at " << i;
}

TEST(ConvReluFusion, GradientCheckThroughFusedPair) {
  nn::manualSeed(10);
  nn::Sequential fused;
  fused.add(nn::SpatialConvolution(2, 4, 3, 3, 1, 1, 1, 1)).add(nn::ReLU());
  shoal::testing::expectModuleGradients(fused, randomTensor(Shape{2, 2, 5, 5}, 24));
}
