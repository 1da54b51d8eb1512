// Dropout: inverted scaling in training, identity in evaluation, seeded and repeatable masks.
#include "shoal/nn/dropout.hpp"

#include <gtest/gtest.h>

#include "shoal/error.hpp"
#include "support/gradient_check.hpp"

using shoal::Shape;
using shoal::Tensor;
using shoal::nn::Dropout;
using shoal::testing::randomTensor;

TEST(Dropout, TrainingZeroesAboutPAndScalesTheRest) {
  Dropout layer(0.3);
  Tensor x = Tensor::full(Shape{100, 100}, 2.0f);
  const Tensor& y = layer.forward(x);
  int64_t zeros = 0;
  for (int64_t i = 0; i < y.numel(); ++i) {
    if (y[i] == 0.0f)
      ++zeros;
    else
      ASSERT_FLOAT_EQ(y[i], 2.0f / 0.7f);
  }
  EXPECT_NEAR(static_cast<double>(zeros) / y.numel(), 0.3, 0.02);
  // The gradient goes through the same mask.
  const Tensor& g = layer.backward(x, Tensor::full(Shape{100, 100}, 1.0f));
  for (int64_t i = 0; i < y.numel(); ++i) ASSERT_FLOAT_EQ(g[i], y[i] / 2.0f);
}

TEST(Dropout, EvaluationIsIdentityWithoutCopying) {
  Dropout layer(0.5);
  layer.evaluate();
  Tensor x = randomTensor(Shape{4, 9}, 41);
  EXPECT_EQ(layer.forward(x).data(), x.data());
  Tensor g = randomTensor(Shape{4, 9}, 42);
  EXPECT_EQ(layer.backward(x, g).data(), g.data());
  // Back in training mode the caller's input is left untouched.
  Tensor before = x.clone();
  layer.train();
  const Tensor& y = layer.forward(x);
  EXPECT_NE(y.data(), x.data());
  EXPECT_EQ(x.toVector(), before.toVector());
}

TEST(Dropout, MasksChangePerForwardAndFollowTheSeed) {
  Tensor x = Tensor::full(Shape{8, 32}, 1.0f);
  shoal::nn::manualSeed(3);
  Dropout a(0.5);
  shoal::nn::manualSeed(3);
  Dropout b(0.5);
  std::vector<float> first = a.forward(x).toVector();
  EXPECT_EQ(b.forward(x).toVector(), first);
  EXPECT_NE(a.forward(x).toVector(), first);
  a.reseed(99);
  b.reseed(99);
  EXPECT_EQ(a.forward(x).toVector(), b.forward(x).toVector());
  shoal::nn::Generator gen(5);
  a.reset(gen);
  EXPECT_NE(a.forward(x).toVector(), b.forward(x).toVector());
}

TEST(Dropout, GradientsInTrainingModeWithAFrozenMask) {
  Dropout layer(0.4);
  layer.reseed(17);
  layer.freezeMask(true);
  Tensor x = randomTensor(Shape{3, 11}, 43);
  std::vector<float> first = layer.forward(x).toVector();
  EXPECT_EQ(layer.forward(x).toVector(), first);
  shoal::testing::expectModuleGradients(layer, x);
}

TEST(Dropout, SteadyBatchShapeReusesBuffers) {
  Dropout layer(0.5);
  Tensor x = randomTensor(Shape{4, 6}, 44);
  const float* out = layer.forward(x).data();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(layer.forward(x).data(), out);
}

TEST(Dropout, SpecAndValidation) {
  Dropout layer(0.25);
  EXPECT_EQ(layer.spec(), (nlohmann::json{{"type", "Dropout"}, {"p", 0.25}}));
  EXPECT_EQ(layer.describe(), "Dropout(0.25)");
  EXPECT_THROW(Dropout(1.0), shoal::UsageError);
  EXPECT_THROW(Dropout(-0.1), shoal::UsageError);
  Dropout none(0.0);
  Tensor x = randomTensor(Shape{2, 3}, 45);
  EXPECT_EQ(none.forward(x).toVector(), x.toVector());
}
