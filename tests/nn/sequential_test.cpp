// Sequential with the core layers: gradients through a chain, flat parameters, shape errors,
// evaluation mode, seeded initialisation and buffer reuse.
#include "shoal/nn/sequential.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "shoal/error.hpp"
#include "shoal/nn/batch_normalization.hpp"
#include "shoal/nn/dropout.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/nn/flatten.hpp"
#include "shoal/nn/linear.hpp"
#include "shoal/nn/log_softmax.hpp"
#include "shoal/nn/relu.hpp"
#include "support/gradient_check.hpp"

using shoal::Shape;
using shoal::Tensor;
using shoal::testing::randomTensor;
namespace nn = shoal::nn;

namespace {

void buildMlp(nn::Sequential& model) {
  model.add(nn::Linear(6, 9)).add(nn::ReLU()).add(nn::Linear(9, 4)).add(nn::LogSoftMax());
}

}  // namespace

TEST(Sequential, GradientsThroughLinearReluLinearLogSoftMax) {
  nn::manualSeed(3);  // weights independent of the tests that ran before
  nn::Sequential model;
  buildMlp(model);
  EXPECT_EQ(model.outputShape(Shape{6}), Shape{4});
  shoal::testing::expectModuleGradients(model, randomTensor(Shape{5, 6}, 51));
}

TEST(Sequential, FlatParametersAreViewsIntoOneBuffer) {
  nn::Sequential model;
  buildMlp(model);
  auto& first = dynamic_cast<nn::Linear&>(model.at(0));
  auto& second = dynamic_cast<nn::Linear&>(model.at(2));
  std::vector<float> weight = first.weight().toVector();
  nn::FlatParameters& flat = model.flatParameters();
  EXPECT_EQ(flat.count(), 6 * 9 + 9 + 9 * 4 + 4);
  EXPECT_EQ(first.weight().toVector(), weight);  // values kept
  EXPECT_EQ(first.weight().data(), flat.values().data());
  EXPECT_EQ(second.bias().data(), flat.values().data() + flat.count() - 4);
  flat.values()[3] = 42.0f;
  EXPECT_EQ(first.weight()[3], 42.0f);
  // Gradients land in the flat gradient buffer, and the computation reads the flat values.
  Tensor x = randomTensor(Shape{3, 6}, 52);
  Tensor y = model.forward(x).clone();
  flat.values().fill(0.0f);
  model.forward(x);
  EXPECT_NE(model.output().toVector(), y.toVector());
  model.zeroGradParameters();
  model.backward(x, randomTensor(Shape{3, 4}, 53));
  EXPECT_EQ(first.gradWeight().data(), flat.grads().data());
  double sum = 0;
  for (int64_t i = 0; i < flat.count(); ++i) sum += std::abs(flat.grads()[i]);
  EXPECT_GT(sum, 0.0);
}

TEST(Sequential, PlacedGradientsKeepTheirValuesAndReceiveTheNextBackward) {
  nn::Sequential model;
  buildMlp(model);
  auto& first = dynamic_cast<nn::Linear&>(model.at(0));
  nn::FlatParameters& flat = model.flatParameters();
  Tensor x = randomTensor(Shape{3, 6}, 54), gradOut = randomTensor(Shape{3, 4}, 55);
  model.zeroGradParameters();
  model.forward(x);
  model.backward(x, gradOut);
  std::vector<float> once = flat.grads().toVector();
  Tensor elsewhere(Shape{flat.count()});
  flat.placeGrads(elsewhere);
  EXPECT_EQ(flat.grads().data(), elsewhere.data());
  EXPECT_EQ(first.gradWeight().data(), elsewhere.data());
  EXPECT_EQ(elsewhere.toVector(), once);  // values kept
  model.forward(x);
  model.backward(x, gradOut);  // accumulates into the new place
  for (int64_t i = 0; i < flat.count(); ++i) ASSERT_FLOAT_EQ(elsewhere[i], 2 * once[i]) << i;
  EXPECT_THROW(flat.placeGrads(Tensor(Shape{flat.count() - 1})), shoal::ShapeError);
}

TEST(Sequential, DiscardedGradientsAreRecomputedAsIfZeroed) {
  // Linear overwrites its gradients after discardGrads; BatchNormalization's are zeroed first.
  auto build = [](nn::Sequential& m) {
    nn::manualSeed(5);
    m.add(nn::Linear(6, 8)).add(nn::BatchNormalization(8)).add(nn::ReLU()).add(nn::Linear(8, 4))
        .add(nn::LogSoftMax());
  };
  nn::Sequential cleared, discarded;
  build(cleared);
  build(discarded);
  Tensor x = randomTensor(Shape{5, 6}, 56), gradOut = randomTensor(Shape{5, 4}, 57);
  nn::FlatParameters& zeroed = cleared.flatParameters();
  nn::FlatParameters& marked = discarded.flatParameters();
  for (int step = 0; step < 3; ++step) {
    marked.grads().fill(1e6f);  // stale values the next pass must not add to
    zeroed.zeroGrads();
    marked.discardGrads();
    cleared.forward(x);
    cleared.backwardParameters(x, gradOut);
    discarded.forward(x);
    discarded.backwardParameters(x, gradOut);
    ASSERT_EQ(marked.grads().toVector(), zeroed.grads().toVector()) << "step " << step;
  }
  // Without a discard the next pass adds again (Torch's accumulation).
  discarded.forward(x);
  discarded.backwardParameters(x, gradOut);
  // Twice the gradient up to rounding: a product kernel may add into the sum as it goes (oneDNN's
  // AVX2 kernels do), which rounds a gradient that cancels to near zero differently.
  std::vector<float> twice = marked.grads().toVector(), once = zeroed.grads().toVector();
  float largest = 0;
  for (float g : once) largest = std::max(largest, std::abs(g));
  ASSERT_GT(largest, 0.0f);
  for (size_t i = 0; i < once.size(); ++i) ASSERT_NEAR(twice[i], 2 * once[i], 1e-6f * largest) << i;
}

TEST(Sequential, ShapeMismatchNamesTheLayerAndBothSizes) {
  nn::Sequential model;
  model.add(nn::Linear(4, 8)).add(nn::Linear(10, 5));
  try {
    model.forward(Tensor(Shape{2, 4}));
    FAIL() << "Linear(10 -> 5) after Linear(4 -> 8) must not chain";
  } catch (const shoal::ShapeError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("layer 2"), std::string::npos) << msg;
    EXPECT_NE(msg.find("8"), std::string::npos) << msg;
    EXPECT_NE(msg.find("10"), std::string::npos) << msg;
  }
}

TEST(Sequential, EvaluationModeTurnsDropoutIntoIdentity) {
  nn::Sequential model;
  model.add(nn::Flatten()).add(nn::Dropout(0.5)).add(nn::Linear(12, 3));
  Tensor x = randomTensor(Shape{4, 3, 4}, 54);
  model.evaluate();
  Tensor a = model.forward(x).clone();
  Tensor b = model.forward(x).clone();
  EXPECT_EQ(a.toVector(), b.toVector());
  auto& linear = dynamic_cast<nn::Linear&>(model.at(2));
  nn::Linear alone(12, 3);
  alone.weight().copyFrom(linear.weight());
  alone.bias().copyFrom(linear.bias());
  EXPECT_EQ(alone.forward(x.view(Shape{4, 12})).toVector(), a.toVector());
  model.train();
  EXPECT_TRUE(model.at(1).isTraining());
  EXPECT_NE(model.forward(x).toVector(), a.toVector());
}

TEST(Sequential, SameSeedGivesSameInitialWeights) {
  nn::manualSeed(123);
  nn::Sequential a;
  buildMlp(a);
  nn::manualSeed(123);
  nn::Sequential b;
  buildMlp(b);
  auto pa = a.parameters(), pb = b.parameters();
  ASSERT_EQ(pa.size(), 4u);
  for (size_t i = 0; i < pa.size(); ++i)
    EXPECT_EQ(pa[i].value->toVector(), pb[i].value->toVector()) << pa[i].name << " " << i;
  nn::Sequential c;
  buildMlp(c);
  EXPECT_NE(c.parameters()[0].value->toVector(), pa[0].value->toVector());
}

TEST(Sequential, SteadyBatchShapeReusesOutputBuffers) {
  nn::Sequential model;
  buildMlp(model);
  Tensor x = randomTensor(Shape{8, 6}, 55);
  Tensor g = randomTensor(Shape{8, 4}, 56);
  const float* out = model.forward(x).data();
  const float* hidden = model.at(0).output().data();
  const float* gradIn = model.backward(x, g).data();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(model.forward(x).data(), out);
    EXPECT_EQ(model.at(0).output().data(), hidden);
    EXPECT_EQ(model.backward(x, g).data(), gradIn);
  }
}

TEST(Sequential, SpecListsTheLayers) {
  nn::Sequential model;
  buildMlp(model);
  nlohmann::json spec = model.spec();
  ASSERT_EQ(spec["layers"].size(), 4u);
  EXPECT_EQ(spec["layers"][0], (nlohmann::json{{"type", "Linear"}, {"in", 6}, {"out", 9},
                                               {"bias", true}}));
  EXPECT_EQ(spec["layers"][1], (nlohmann::json{{"type", "ReLU"}}));
  EXPECT_EQ(spec["layers"][3], (nlohmann::json{{"type", "LogSoftMax"}}));
}

TEST(Sequential, FusesAReluIntoThePrecedingLinear) {
  nn::manualSeed(5);
  nn::Sequential fused;
  buildMlp(fused);
  const nn::ExecutionPlan& plan = fused.plan();
  ASSERT_GE(plan.size(), 2u);
  EXPECT_EQ(plan.step(0).modules(), 2u);  // Linear + ReLU
  EXPECT_EQ(plan.firstModule(1), 2u);

  // The same weights computed layer by layer, without fusion, give the same output.
  nn::manualSeed(5);
  nn::Linear first(6, 9);
  nn::ReLU relu;
  nn::Linear second(9, 4);
  nn::LogSoftMax logSoftMax;
  Tensor x = randomTensor(Shape{5, 6}, 8);
  const Tensor& y = logSoftMax.forward(second.forward(relu.forward(first.forward(x))));
  EXPECT_EQ(fused.forward(x).toVector(), y.toVector());
}
