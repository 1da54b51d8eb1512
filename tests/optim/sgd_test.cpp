// SGD: PyTorch trajectories, argument checks, state allocation, schedules and config.
#include "shoal/optim/sgd.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "optim/test_problems.hpp"
#include "shoal/error.hpp"

namespace shoal {
namespace {

using optim::SGD;

TEST(SGD, MatchesPyTorchTrajectories) {
  nlohmann::json fixture = testing::loadFixture("optim_sgd.json");
  ASSERT_EQ(fixture.at("cases").size(), 4u);
  for (const auto& c : fixture.at("cases")) {
    const auto& o = c.at("options");
    SGD sgd({.lr = o.at("lr").get<double>(),
             .momentum = o.value("momentum", 0.0),
             .dampening = o.value("dampening", 0.0),
             .nesterov = o.value("nesterov", false),
             .weightDecay = o.value("weight_decay", 0.0)});
    int calls = testing::runGoldenCase(fixture, c, sgd, 1e-5, 1e-6);
    EXPECT_EQ(calls, c.at("evaluations").get<int>());
    EXPECT_EQ(sgd.iteration(), 6);
  }
}

TEST(SGD, RejectsNesterovWithoutMomentumOrWithDampening) {
  EXPECT_THROW(SGD({.lr = 0.1, .nesterov = true}), UsageError);
  EXPECT_THROW(SGD({.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .nesterov = true}), UsageError);
  EXPECT_THROW(SGD({.lr = -0.1}), UsageError);
  EXPECT_NO_THROW(SGD({.lr = 0.1, .momentum = 0.9, .nesterov = true}));
}

TEST(SGD, DefaultsMatchTorch) {
  SGD sgd({});
  EXPECT_DOUBLE_EQ(sgd.options().lr, 0.01);
  EXPECT_DOUBLE_EQ(sgd.currentLearningRate(), 0.01);
  EXPECT_EQ(sgd.name(), "SGD");
}

TEST(SGD, AllocatesTheMomentumBufferOnTheFirstStepWithMomentum) {
  Tensor params = Tensor::fromVector({3}, {1, 2, 3});
  Tensor grads(params.shape());
  auto closure = [&] {
    grads.copyFrom(params);  // f = 0.5 |x|^2
    return 0.0f;
  };
  SGD plain({.lr = 0.1});
  plain.step(params, grads, closure);
  EXPECT_TRUE(plain.saveState().tensors.empty());

  SGD sgd({.lr = 0.1, .momentum = 0.9});
  EXPECT_TRUE(sgd.saveState().tensors.empty());
  sgd.step(params, grads, closure);
  optim::OptimState state = sgd.saveState();
  ASSERT_EQ(state.tensors.size(), 1u);
  EXPECT_EQ(state.tensors[0].first, "momentum_buffer");
  // The buffer starts as the first gradient.
  EXPECT_FLOAT_EQ(state.tensors[0].second[2], 2.7f);
}

TEST(SGD, NotesNonFiniteGradientsInItsUpdatePass) {
  // Short buffers stay on one thread, long ones go to every core: both passes, both paths.
  for (int64_t n : {int64_t{10}, int64_t{1} << 17}) {
    for (double momentum : {0.0, 0.9}) {
      SGD sgd({.lr = 0.1, .momentum = momentum});
      Tensor params(Shape{n}), grads = Tensor::full(Shape{n}, 0.5f);
      sgd.step(params, grads, [] { return 1.0f; });
      EXPECT_TRUE(sgd.lastGradientsFinite(grads)) << n << " " << momentum;
      for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                        -std::numeric_limits<float>::infinity()}) {
        grads[n - 3] = bad;
        sgd.step(params, grads, [] { return 1.0f; });
        EXPECT_FALSE(sgd.lastGradientsFinite(grads)) << n << " " << momentum << " " << bad;
        grads[n - 3] = 0.5f;
      }
      sgd.step(params, grads, [] { return 1.0f; });
      EXPECT_TRUE(sgd.lastGradientsFinite(grads)) << "a finite step after a bad one";
    }
  }
}

TEST(SGD, FollowsItsScheduleAndReportsTheRate) {
  // Warm-up over 2 iterations, then the rate halves every 2 iterations.
  auto schedule = std::make_shared<optim::WarmupSchedule>(2, std::make_shared<optim::StepSchedule>(2, 0.5, false));
  SGD sgd({.lr = 0.4}, schedule);
  Tensor params = Tensor::fromVector({1}, {0});
  Tensor grads(params.shape());
  auto closure = [&] {
    grads[0] = -1.0f;  // constant slope: each step moves the parameter by the rate
    return 0.0f;
  };
  const double rates[] = {0.2, 0.4, 0.4, 0.4, 0.2, 0.2, 0.1};
  double position = 0;
  for (double rate : rates) {
    EXPECT_NEAR(sgd.currentLearningRate(), rate, 1e-12);
    sgd.step(params, grads, closure);
    position += rate;
    EXPECT_NEAR(params[0], position, 1e-6);
  }
}

TEST(SGD, PerEpochScheduleFollowsSetEpoch) {
  SGD sgd({.lr = 1.0}, std::make_shared<optim::StepSchedule>(1, 0.1));
  EXPECT_DOUBLE_EQ(sgd.currentLearningRate(), 1.0);
  sgd.setEpoch(2);
  EXPECT_NEAR(sgd.currentLearningRate(), 0.01, 1e-15);
}

TEST(SGD, ConfigListsSettingsAndSchedule) {
  SGD sgd({.lr = 0.05, .momentum = 0.9, .nesterov = true}, std::make_shared<optim::PolySchedule>(2.0, 100));
  nlohmann::json c = sgd.config();
  EXPECT_EQ(c.at("name"), "SGD");
  EXPECT_DOUBLE_EQ(c.at("lr").get<double>(), 0.05);
  EXPECT_DOUBLE_EQ(c.at("momentum").get<double>(), 0.9);
  EXPECT_EQ(c.at("nesterov"), true);
  EXPECT_EQ(c.at("schedule").at("name"), "poly");
  EXPECT_TRUE(SGD({}).config().at("schedule").is_null());
}

TEST(SGD, ReturnsTheLossAtTheStartingPoint) {
  Tensor params = Tensor::fromVector({2}, {3, 4});
  Tensor grads(params.shape());
  auto closure = [&] {
    grads.copyFrom(params);
    return 0.5f * (params[0] * params[0] + params[1] * params[1]);
  };
  SGD sgd({.lr = 0.5});
  EXPECT_FLOAT_EQ(sgd.step(params, grads, closure), 12.5f);
  EXPECT_FLOAT_EQ(params[0], 1.5f);
  EXPECT_FLOAT_EQ(params[1], 2.0f);
}

}  // namespace
}  // namespace shoal
