// Linear: gradients, PyTorch golden values, accumulation, the plan's fused ReLU, initialisation, buffers.
#include "shoal/nn/linear.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "shoal/error.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/nn/relu.hpp"
#include "shoal/nn/sequential.hpp"
#include "support/fixtures.hpp"
#include "support/gradient_check.hpp"

using shoal::Shape;
using shoal::Tensor;
using shoal::nn::Linear;
using shoal::testing::expectModuleGradients;
using shoal::testing::randomTensor;

TEST(Linear, GradientsWithOddSizes) {
  Linear layer(7, 5);
  expectModuleGradients(layer, randomTensor(Shape{3, 7}, 1));
}

TEST(Linear, GradientsWithoutBias) {
  Linear layer(6, 3, false);
  EXPECT_EQ(layer.parameters().size(), 1u);
  expectModuleGradients(layer, randomTensor(Shape{4, 6}, 2));
}

TEST(Linear, GradientsWithFusedRelu) {
  shoal::nn::Sequential fused;
  fused.add(Linear(7, 5)).add(shoal::nn::ReLU());
  ASSERT_EQ(fused.plan().size(), 1u);  // one fused step
  expectModuleGradients(fused, randomTensor(Shape{3, 7}, 3));
}

TEST(Linear, MatchesPyTorch) {
  nlohmann::json fixture = shoal::testing::loadFixture("layers_linear.json");
  ASSERT_EQ(fixture["cases"].size(), 3u);
  for (const auto& c : fixture["cases"]) {
    std::string name = c["name"];
    SCOPED_TRACE(name);
    Tensor input = shoal::testing::tensorFromJson(c["input"]);
    Tensor weight = shoal::testing::tensorFromJson(c["weight"]);
    bool withBias = c.contains("bias");
    // The "fusedRelu" case runs Linear + ReLU, which the plan fuses into one step.
    shoal::nn::Sequential model;
    model.add(Linear(weight.dim(1), weight.dim(0), withBias));
    if (name == "fusedRelu") model.add(shoal::nn::ReLU());
    auto& layer = dynamic_cast<Linear&>(model.at(0));
    layer.weight().copyFrom(weight);
    if (withBias) layer.bias().copyFrom(shoal::testing::tensorFromJson(c["bias"]));
    shoal::testing::expectNear(model.forward(input), shoal::testing::tensorFromJson(c["output"]),
                               1e-5, 1e-6, name + " output");
    model.zeroGradParameters();
    model.backward(input, shoal::testing::tensorFromJson(c["gradOutput"]));
    shoal::testing::expectNear(model.gradInput(), shoal::testing::tensorFromJson(c["gradInput"]),
                               1e-5, 1e-6, name + " gradInput");
    shoal::testing::expectNear(layer.gradWeight(),
                               shoal::testing::tensorFromJson(c["gradWeight"]), 1e-5, 1e-6,
                               name + " gradWeight");
    if (withBias)
      shoal::testing::expectNear(layer.gradBias(), shoal::testing::tensorFromJson(c["gradBias"]),
                                 1e-5, 1e-6, name + " gradBias");
  }
}

TEST(Linear, BackwardAccumulatesParameterGradients) {
  Linear layer(7, 5);
  Tensor x = randomTensor(Shape{3, 7}, 4);
  Tensor g = randomTensor(Shape{3, 5}, 5);
  layer.forward(x);
  layer.zeroGradParameters();
  layer.backward(x, g);
  Tensor once = layer.gradWeight().clone();
  Tensor onceBias = layer.gradBias().clone();
  layer.backward(x, g);
  for (int64_t i = 0; i < once.numel(); ++i)
    EXPECT_NEAR(layer.gradWeight()[i], 2 * once[i], 1e-6) << "gradWeight[" << i << "]";
  for (int64_t i = 0; i < onceBias.numel(); ++i)
    EXPECT_NEAR(layer.gradBias()[i], 2 * onceBias[i], 1e-6) << "gradBias[" << i << "]";
  EXPECT_NE(onceBias[0], 0.0f);
  layer.zeroGradParameters();
  EXPECT_EQ(layer.gradWeight()[0], 0.0f);
}

TEST(Linear, FusedAndUnfusedPlansGiveTheSameOutputAndGradients) {
  shoal::nn::manualSeed(6);
  shoal::nn::Sequential fused;
  fused.add(Linear(9, 6)).add(shoal::nn::ReLU()).add(Linear(6, 3));
  shoal::nn::manualSeed(6);
  shoal::nn::Sequential unfused;
  unfused.add(Linear(9, 6)).add(shoal::nn::ReLU()).add(Linear(6, 3));
  unfused.setFusion(false);
  ASSERT_EQ(fused.plan().size(), 2u);
  ASSERT_EQ(unfused.plan().size(), 3u);
  Tensor x = randomTensor(Shape{5, 9}, 6);
  Tensor g = randomTensor(Shape{5, 3}, 7);
  for (int pass = 0; pass < 2; ++pass) {  // the second pass reuses every buffer
    shoal::testing::expectNear(fused.forward(x), unfused.forward(x), 0, 0, "output");
    fused.zeroGradParameters();
    unfused.zeroGradParameters();
    shoal::testing::expectNear(fused.backward(x, g), unfused.backward(x, g), 1e-6, 1e-7, "gradInput");
    shoal::testing::expectNear(fused.flatParameters().grads(), unfused.flatParameters().grads(), 1e-6,
                               1e-7, "parameter gradients");
  }
}

TEST(Linear, ShapeErrorNamesTheLayerAndBothSizes) {
  Linear layer(4, 8);
  layer.setLabel("layer 3 (Linear(4 -> 8))");
  try {
    layer.forward(Tensor(Shape{2, 5}));
    FAIL() << "a [2, 5] input must not fit Linear(4 -> 8)";
  } catch (const shoal::ShapeError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("layer 3"), std::string::npos) << msg;
    EXPECT_NE(msg.find("4"), std::string::npos) << msg;
    EXPECT_NE(msg.find("5"), std::string::npos) << msg;
  }
  EXPECT_THROW(layer.forward(Tensor(Shape{2, 2, 2})), shoal::ShapeError);
  EXPECT_THROW(Linear(0, 3), shoal::UsageError);
}

TEST(Linear, SpecAndDescription) {
  Linear layer(784, 1000);
  EXPECT_EQ(layer.typeName(), "Linear");
  EXPECT_EQ(layer.describe(), "Linear(784 -> 1000)");
  EXPECT_EQ(layer.spec(), (nlohmann::json{{"type", "Linear"}, {"in", 784}, {"out", 1000},
                                          {"bias", true}}));
  EXPECT_EQ(Linear(3, 2, false).spec()["bias"], false);
  EXPECT_EQ(layer.parameterCount(), 784 * 1000 + 1000);
  EXPECT_EQ(layer.outputShape(Shape{784}), Shape{1000});
}

TEST(Linear, InitialisationIsPyTorchsUniformAndFollowsTheSeed) {
  shoal::nn::manualSeed(11);
  Linear a(100, 20);
  shoal::nn::manualSeed(11);
  Linear b(100, 20);
  Linear c(100, 20);  // later draws of the same seed
  EXPECT_EQ(a.weight().toVector(), b.weight().toVector());
  EXPECT_EQ(a.bias().toVector(), b.bias().toVector());
  EXPECT_NE(a.weight().toVector(), c.weight().toVector());
  float bound = 1.0f / std::sqrt(100.0f);
  double sumSquares = 0;
  for (float w : a.weight().toVector()) {
    EXPECT_LE(std::abs(w), bound);
    sumSquares += w * w;
  }
  // A uniform in +-bound has variance bound^2 / 3.
  EXPECT_NEAR(sumSquares / a.weight().numel(), bound * bound / 3, 0.1 * bound * bound / 3);
  shoal::nn::Generator gen(5);
  a.reset(gen);
  EXPECT_NE(a.weight().toVector(), b.weight().toVector());
}

TEST(Linear, SteadyBatchShapeReusesBuffers) {
  Linear layer(7, 5);
  Tensor x = randomTensor(Shape{3, 7}, 8);
  Tensor g = randomTensor(Shape{3, 5}, 9);
  const float* out = layer.forward(x).data();
  const float* gradIn = layer.backward(x, g).data();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(layer.forward(x).data(), out);
    EXPECT_EQ(layer.backward(x, g).data(), gradIn);
  }
  // A smaller last batch fits in the same buffers.
  Tensor small = randomTensor(Shape{2, 7}, 10);
  EXPECT_EQ(layer.forward(small).data(), out);
  EXPECT_EQ(layer.output().shape(), (Shape{2, 5}));
}
