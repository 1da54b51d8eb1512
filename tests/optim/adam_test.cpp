// Adam: PyTorch trajectories, argument checks, moment buffers and config.
#include "shoal/optim/adam.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "optim/test_problems.hpp"
#include "shoal/error.hpp"

namespace shoal {
namespace {

using optim::Adam;

TEST(Adam, ReportsNonFiniteGradientsThroughTheBaseCheck) {
  Adam adam({.lr = 0.01});
  Tensor params(Shape{5}), grads = Tensor::full(Shape{5}, 0.5f);
  adam.step(params, grads, [] { return 1.0f; });
  EXPECT_TRUE(adam.lastGradientsFinite(grads));
  grads[2] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_FALSE(adam.lastGradientsFinite(grads));
}

TEST(Adam, MatchesPyTorchTrajectories) {
  nlohmann::json fixture = testing::loadFixture("optim_adam.json");
  ASSERT_EQ(fixture.at("cases").size(), 2u);
  for (const auto& c : fixture.at("cases")) {
    const auto& o = c.at("options");
    auto betas = o.value("betas", std::vector<double>{0.9, 0.999});
    Adam adam({.lr = o.at("lr").get<double>(),
               .beta1 = betas[0],
               .beta2 = betas[1],
               .eps = o.value("eps", 1e-8),
               .weightDecay = o.value("weight_decay", 0.0)});
    testing::runGoldenCase(fixture, c, adam, 1e-5, 1e-6);
  }
}

TEST(Adam, FirstStepMovesEachParameterByTheRate) {
  // Bias correction makes the first update lr * g / |g| whatever the gradient's scale.
  Tensor params = Tensor::fromVector({3}, {0, 0, 0});
  Tensor grads(params.shape());
  auto closure = [&] {
    grads[0] = 1e-3f, grads[1] = -5.0f, grads[2] = 200.0f;
    return 0.0f;
  };
  Adam adam({.lr = 0.01});
  adam.step(params, grads, closure);
  EXPECT_NEAR(params[0], -0.01, 1e-6);
  EXPECT_NEAR(params[1], 0.01, 1e-6);
  EXPECT_NEAR(params[2], -0.01, 1e-6);
  optim::OptimState state = adam.saveState();
  ASSERT_EQ(state.tensors.size(), 2u);
  EXPECT_NEAR(state.tensors[0].second[1], -0.5, 1e-6);   // m = (1 - beta1) g
  EXPECT_NEAR(state.tensors[1].second[1], 0.025, 1e-6);  // v = (1 - beta2) g^2
}

TEST(Adam, RejectsInvalidSettings) {
  EXPECT_THROW(Adam({.beta1 = 1.0}), UsageError);
  EXPECT_THROW(Adam({.beta2 = -0.1}), UsageError);
  EXPECT_THROW(Adam({.eps = -1}), UsageError);
  EXPECT_THROW(Adam({.lr = -1}), UsageError);
}

TEST(Adam, ScheduleAndConfig) {
  Adam adam({.lr = 0.1, .weightDecay = 0.01}, std::make_shared<optim::ExponentialSchedule>(10, 0.5, true));
  Tensor params = Tensor::fromVector({1}, {1});
  Tensor grads(params.shape());
  auto closure = [&] {
    grads.copyFrom(params);
    return 0.0f;
  };
  for (int i = 0; i < 10; ++i) adam.step(params, grads, closure);
  EXPECT_EQ(adam.iteration(), 10);
  EXPECT_DOUBLE_EQ(adam.currentLearningRate(), 0.05);
  nlohmann::json c = adam.config();
  EXPECT_EQ(c.at("name"), "Adam");
  EXPECT_DOUBLE_EQ(c.at("beta2").get<double>(), 0.999);
  EXPECT_DOUBLE_EQ(c.at("weightDecay").get<double>(), 0.01);
  EXPECT_EQ(c.at("schedule").at("name"), "exponential");
  EXPECT_EQ(c.at("schedule").at("staircase"), true);
}

}  // namespace
}  // namespace shoal
