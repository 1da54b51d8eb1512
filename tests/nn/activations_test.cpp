// ReLU, Tanh, Sigmoid, SoftMax, LogSoftMax: gradients, PyTorch golden values, shapes, buffers.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "shoal/error.hpp"
#include "shoal/nn/log_softmax.hpp"
#include "shoal/nn/relu.hpp"
#include "shoal/nn/sigmoid.hpp"
#include "shoal/nn/softmax.hpp"
#include "shoal/nn/tanh.hpp"
#include "support/fixtures.hpp"
#include "support/gradient_check.hpp"

using shoal::Shape;
using shoal::Tensor;
using shoal::testing::expectModuleGradients;
using shoal::testing::randomTensor;

namespace {

std::unique_ptr<shoal::nn::Module> make(const std::string& type) {
  if (type == "ReLU") return std::make_unique<shoal::nn::ReLU>();
  if (type == "Tanh") return std::make_unique<shoal::nn::Tanh>();
  if (type == "Sigmoid") return std::make_unique<shoal::nn::Sigmoid>();
  if (type == "SoftMax") return std::make_unique<shoal::nn::SoftMax>();
  return std::make_unique<shoal::nn::LogSoftMax>();
}

class Activation : public ::testing::TestWithParam<std::string> {};

// Fixture file of each layer type.
std::string fixtureOf(const std::string& type) {
  std::string lower;
  for (char ch : type) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return "layers_" + lower + ".json";
}

}  // namespace

TEST_P(Activation, GradientsOnAMatrix) {
  auto layer = make(GetParam());
  EXPECT_EQ(layer->typeName(), GetParam());
  expectModuleGradients(*layer, randomTensor(Shape{3, 7}, 21, -2.0f, 2.0f));
}

TEST_P(Activation, GradientsOnARank4Batch) {
  auto layer = make(GetParam());
  expectModuleGradients(*layer, randomTensor(Shape{2, 3, 4, 5}, 22, -2.0f, 2.0f));
}

TEST_P(Activation, MatchesPyTorch) {
  auto layer = make(GetParam());
  nlohmann::json fixture = shoal::testing::loadFixture(fixtureOf(GetParam()));
  // oneDNN's vectorised logarithm is accurate to about 1e-6 relative, so log-softmax values of
  // magnitude ~3 carry up to ~4e-6 absolute error (PyTorch's float32 result: ~3e-7).
  double atol = GetParam() == "LogSoftMax" ? 1e-5 : 1e-6;
  ASSERT_EQ(fixture["cases"].size(), 2u);
  for (const auto& c : fixture["cases"]) {
    std::string what = GetParam() + " " + c["name"].get<std::string>();
    Tensor input = shoal::testing::tensorFromJson(c["input"]);
    shoal::testing::expectNear(layer->forward(input), shoal::testing::tensorFromJson(c["output"]),
                               1e-5, atol, what + " output");
    layer->backward(input, shoal::testing::tensorFromJson(c["gradOutput"]));
    shoal::testing::expectNear(layer->gradInput(),
                               shoal::testing::tensorFromJson(c["gradInput"]), 1e-5, atol,
                               what + " gradInput");
  }
}

TEST_P(Activation, SteadyBatchShapeReusesBuffers) {
  auto layer = make(GetParam());
  Tensor x = randomTensor(Shape{4, 6}, 23);
  Tensor g = randomTensor(Shape{4, 6}, 24);
  const float* out = layer->forward(x).data();
  const float* gradIn = layer->backward(x, g).data();
  EXPECT_NE(out, x.data());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(layer->forward(x).data(), out);
    EXPECT_EQ(layer->backward(x, g).data(), gradIn);
  }
}

INSTANTIATE_TEST_SUITE_P(Layers, Activation,
                         ::testing::Values("ReLU", "Tanh", "Sigmoid", "SoftMax", "LogSoftMax"),
                         [](const auto& p) { return p.param; });

TEST(ReLU, ZeroesNegativesAndTheirGradients) {
  shoal::nn::ReLU relu;
  Tensor x = Tensor::fromVector(Shape{1, 4}, {-1.5f, 0.0f, 2.0f, -0.0f});
  EXPECT_EQ(relu.forward(x).toVector(), (std::vector<float>{0, 0, 2, 0}));
  Tensor g = Tensor::fromVector(Shape{1, 4}, {1, 1, 1, 1});
  EXPECT_EQ(relu.backward(x, g).toVector(), (std::vector<float>{0, 0, 1, 0}));
}

TEST(SoftMax, RowsAreDistributionsAndLogSoftMaxIsTheirLogarithm) {
  Tensor x = randomTensor(Shape{5, 10}, 25, -20.0f, 20.0f);
  shoal::nn::SoftMax softmax;
  shoal::nn::LogSoftMax logSoftmax;
  const Tensor& p = softmax.forward(x);
  const Tensor& logp = logSoftmax.forward(x);
  for (int64_t n = 0; n < 5; ++n) {
    double sum = 0;
    for (int64_t c = 0; c < 10; ++c) {
      sum += p[n * 10 + c];
      EXPECT_NEAR(std::exp(logp[n * 10 + c]), p[n * 10 + c], 1e-5);
    }
    EXPECT_NEAR(sum, 1.0, 1e-5);
  }
}

TEST(SoftMax, NormalisesOverDimensionOneOfHigherRanks) {
  Tensor x = randomTensor(Shape{2, 3, 4}, 26);
  shoal::nn::SoftMax softmax;
  const Tensor& p = softmax.forward(x);
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t i = 0; i < 4; ++i) {
      double sum = 0;
      for (int64_t c = 0; c < 3; ++c) sum += p[(n * 3 + c) * 4 + i];
      EXPECT_NEAR(sum, 1.0, 1e-5);
    }
}

TEST(SoftMax, RejectsInputsWithoutAClassDimension) {
  shoal::nn::LogSoftMax layer;
  layer.setLabel("layer 4 (LogSoftMax)");
  try {
    layer.forward(Tensor(Shape{8}));
    FAIL() << "a [8] input has no class dimension";
  } catch (const shoal::ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("layer 4"), std::string::npos) << e.what();
  }
}
