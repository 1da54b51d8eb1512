// Reshape, Flatten, Identity and Narrow: views without copies, shapes, gradients, specs.
#include <gtest/gtest.h>

#include "shoal/error.hpp"
#include "shoal/nn/flatten.hpp"
#include "shoal/nn/identity.hpp"
#include "shoal/nn/narrow.hpp"
#include "shoal/nn/reshape.hpp"
#include "support/gradient_check.hpp"

using shoal::Shape;
using shoal::Tensor;
using shoal::testing::expectModuleGradients;
using shoal::testing::randomTensor;

TEST(Reshape, ViewsEachSampleInTheNewShape) {
  shoal::nn::Reshape layer(Shape{2, 6});
  Tensor x = randomTensor(Shape{3, 4, 3}, 31);
  const Tensor& y = layer.forward(x);
  EXPECT_EQ(y.shape(), (Shape{3, 2, 6}));
  EXPECT_EQ(y.data(), x.data());
  EXPECT_EQ(y.toVector(), x.toVector());
  Tensor g = randomTensor(Shape{3, 2, 6}, 32);
  const Tensor& gx = layer.backward(x, g);
  EXPECT_EQ(gx.shape(), x.shape());
  EXPECT_EQ(gx.data(), g.data());
  expectModuleGradients(layer, x);
}

TEST(Reshape, SpecAndMismatch) {
  shoal::nn::Reshape layer(Shape{1, 28, 28});
  EXPECT_EQ(layer.spec(), (nlohmann::json{{"type", "Reshape"}, {"shape", {1, 28, 28}}}));
  EXPECT_EQ(layer.typeName(), "Reshape");
  EXPECT_EQ(layer.outputShape(Shape{784}), (Shape{1, 28, 28}));
  try {
    layer.outputShape(Shape{780});
    FAIL() << "780 elements cannot be reshaped to 1x28x28";
  } catch (const shoal::ShapeError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("780"), std::string::npos) << msg;
    EXPECT_NE(msg.find("784"), std::string::npos) << msg;
  }
}

TEST(Flatten, KeepsTheBatchAndFlattensTheRest) {
  shoal::nn::Flatten layer;
  Tensor x = randomTensor(Shape{2, 3, 4, 5}, 33);
  const Tensor& y = layer.forward(x);
  EXPECT_EQ(y.shape(), (Shape{2, 60}));
  EXPECT_EQ(y.data(), x.data());
  EXPECT_EQ(layer.outputShape(Shape{1, 28, 28}), Shape{784});
  EXPECT_EQ(layer.spec(), (nlohmann::json{{"type", "Flatten"}}));
  Tensor g = randomTensor(Shape{2, 60}, 34);
  EXPECT_EQ(layer.backward(x, g).shape(), x.shape());
  EXPECT_EQ(layer.gradInput().data(), g.data());
  expectModuleGradients(layer, x);
}

TEST(Identity, PassesThroughWithoutCopying) {
  shoal::nn::Identity layer;
  Tensor x = randomTensor(Shape{3, 5}, 35);
  EXPECT_EQ(layer.forward(x).data(), x.data());
  Tensor g = randomTensor(Shape{3, 5}, 36);
  EXPECT_EQ(layer.backward(x, g).data(), g.data());
  EXPECT_EQ(layer.spec(), (nlohmann::json{{"type", "Identity"}}));
  expectModuleGradients(layer, x);
}

TEST(Narrow, TakesARunOfEachRowAndScattersTheGradientBack) {
  shoal::nn::Narrow layer(1, 2);
  Tensor x = Tensor::fromVector(Shape{2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  EXPECT_EQ(layer.forward(x).toVector(), (std::vector<float>{2, 3, 6, 7}));
  Tensor g = Tensor::fromVector(Shape{2, 2}, {10, 20, 30, 40});
  EXPECT_EQ(layer.backward(x, g).toVector(), (std::vector<float>{0, 10, 20, 0, 0, 30, 40, 0}));
  EXPECT_EQ(layer.spec(), (nlohmann::json{{"type", "Narrow"}, {"offset", 1}, {"length", 2}}));
  EXPECT_THROW(layer.outputShape(Shape{2}), shoal::ShapeError);
  expectModuleGradients(layer, randomTensor(Shape{3, 5}, 37));
}
