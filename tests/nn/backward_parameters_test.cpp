// backwardParameters: the same parameter gradients as backward, without the first layer's input gradient.
#include <gtest/gtest.h>

#include "shoal/nn/batch_normalization.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/nn/flatten.hpp"
#include "shoal/nn/linear.hpp"
#include "shoal/nn/log_softmax.hpp"
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

// Runs backward, then backwardParameters on the same batch, and requires equal gradients.
void expectSameParameterGradients(nn::Sequential& model, const Tensor& input) {
  nn::FlatParameters& flat = model.flatParameters();
  const Tensor& output = model.forward(input);
  Tensor gradOutput = randomTensor(output.shape(), 7);
  flat.zeroGrads();
  model.backward(input, gradOutput);
  Tensor expected = flat.grads().clone();
  ASSERT_GT(expected.numel(), 0);

  model.forward(input);
  flat.zeroGrads();
  const float* gradInputBefore = model.gradInput().data();
  model.backwardParameters(input, gradOutput);
  for (int64_t i = 0; i < expected.numel(); ++i)
    ASSERT_NEAR(flat.grads()[i], expected[i], 1e-5f * (1 + std::abs(expected[i]))) << "at " << i;
  EXPECT_EQ(model.gradInput().data(), gradInputBefore);  // left as it was
}

}  // namespace

TEST(BackwardParameters, MlpWithFusedReluFirst) {
  nn::manualSeed(5);
  nn::Sequential model;
  model.add(nn::Flatten()).add(nn::Linear(12, 9)).add(nn::ReLU()).add(nn::Linear(9, 4)).add(
      nn::LogSoftMax());
  expectSameParameterGradients(model, randomTensor(Shape{5, 3, 4}, 11));
}

TEST(BackwardParameters, ConvolutionFirst) {
  nn::manualSeed(6);
  nn::Sequential model;
  model.add(nn::SpatialConvolution(1, 4, 3, 3, 1, 1, 1, 1))
      .add(nn::ReLU())
      .add(nn::SpatialMaxPooling(2, 2))
      .add(nn::SpatialConvolution(4, 8, 3, 3))
      .add(nn::ReLU())
      .add(nn::Flatten())
      .add(nn::Linear(8, 3))
      .add(nn::LogSoftMax());
  expectSameParameterGradients(model, randomTensor(Shape{4, 1, 6, 6}, 12));
}

TEST(BackwardParameters, BatchNormalizationFirst) {
  nn::manualSeed(7);
  nn::Sequential model;
  model.add(nn::BatchNormalization(6)).add(nn::Linear(6, 3)).add(nn::LogSoftMax());
  expectSameParameterGradients(model, randomTensor(Shape{8, 6}, 13));
}

TEST(BackwardParameters, NoLearnableLayerDoesNothing) {
  nn::Sequential model;
  model.add(nn::ReLU()).add(nn::LogSoftMax());
  Tensor input = randomTensor(Shape{3, 4}, 14);
  const Tensor& output = model.forward(input);
  model.backwardParameters(input, randomTensor(output.shape(), 15));
  EXPECT_FALSE(model.gradInput().defined());
}
