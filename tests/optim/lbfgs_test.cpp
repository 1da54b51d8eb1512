// L-BFGS and its strong-Wolfe line search: PyTorch trajectories, stopping rules, Wolfe conditions.
#include "shoal/optim/lbfgs.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "optim/test_problems.hpp"
#include "shoal/error.hpp"
#include "shoal/optim/line_search.hpp"

namespace shoal {
namespace {

using optim::LBFGS;

TEST(LBFGS, MatchesPyTorchTrajectories) {
  nlohmann::json fixture = testing::loadFixture("optim_lbfgs.json");
  ASSERT_EQ(fixture.at("cases").size(), 3u);
  for (const auto& c : fixture.at("cases")) {
    const auto& o = c.at("options");
    bool wolfe = o.value("line_search_fn", "") == "strong_wolfe";
    LBFGS lbfgs({.lr = o.at("lr").get<double>(),
                 .maxIter = o.at("max_iter").get<int>(),
                 .historySize = o.at("history_size").get<int>(),
                 .lineSearch = wolfe ? LBFGS::LineSearch::StrongWolfe : LBFGS::LineSearch::None});
    int calls = testing::runGoldenCase(fixture, c, lbfgs, 1e-4, 1e-5);
    EXPECT_EQ(calls, c.at("evaluations").get<int>()) << o.dump();
    EXPECT_EQ(lbfgs.functionEvaluations(), calls);
    EXPECT_EQ(lbfgs.iteration(), 3);
  }
}

TEST(LBFGS, StopsAtOnceAtAStationaryPoint) {
  Tensor params = Tensor::fromVector({2}, {1, 1});
  Tensor grads(params.shape());
  int calls = 0;
  auto closure = [&] {
    ++calls;
    return static_cast<float>(testing::rosenbrock(params, grads));
  };
  LBFGS lbfgs({});
  EXPECT_EQ(lbfgs.step(params, grads, closure), 0.0f);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(params[0], 1.0f);
  EXPECT_EQ(lbfgs.innerIterations(), 0);
}

TEST(LBFGS, RespectsTheEvaluationBudget) {
  Tensor params = Tensor::fromVector({2}, {-1.2f, 1.0f});
  Tensor grads(params.shape());
  int calls = 0;
  auto closure = [&] {
    ++calls;
    return static_cast<float>(testing::rosenbrock(params, grads));
  };
  LBFGS lbfgs({.maxIter = 100, .maxEval = 7, .lineSearch = LBFGS::LineSearch::StrongWolfe});
  lbfgs.step(params, grads, closure);
  // The budget is checked after each iteration; one line search may overrun it by its own
  // evaluations (25 at most), as in torch.
  EXPECT_GE(calls, 7);
  EXPECT_LT(calls, 7 + 25);
  EXPECT_LT(lbfgs.innerIterations(), 100);
}

TEST(LBFGS, RejectsInvalidSettingsAndDescribesItself) {
  EXPECT_THROW(LBFGS({.lr = 0}), UsageError);
  EXPECT_THROW(LBFGS({.maxIter = 0}), UsageError);
  EXPECT_THROW(LBFGS({.historySize = 0}), UsageError);
  nlohmann::json c = LBFGS({.maxIter = 8, .lineSearch = LBFGS::LineSearch::StrongWolfe}).config();
  EXPECT_EQ(c.at("name"), "LBFGS");
  EXPECT_EQ(c.at("maxEval"), 10);  // maxIter * 5 / 4
  EXPECT_EQ(c.at("lineSearch"), "strong_wolfe");
  EXPECT_EQ(c.at("historySize"), 100);
}

TEST(LBFGS, KeepsAtMostHistorySizePairs) {
  Tensor params = Tensor::fromVector({2}, {-1.2f, 1.0f});
  Tensor grads(params.shape());
  auto closure = [&] { return static_cast<float>(testing::rosenbrock(params, grads)); };
  LBFGS lbfgs({.maxIter = 30, .historySize = 4, .lineSearch = LBFGS::LineSearch::StrongWolfe});
  EXPECT_TRUE(lbfgs.saveState().tensors.empty());
  lbfgs.step(params, grads, closure);
  // direction, previous gradient, and 4 (s, y) pairs
  optim::OptimState state = lbfgs.saveState();
  EXPECT_EQ(state.tensors.size(), 2u + 2 * 4);
  EXPECT_EQ(state.scalars.at("history_count"), 4);
}

TEST(CubicMinimum, FindsTheMinimiserOfACubic) {
  // c(x) = x^3 - 3x: local minimum at x = 1; interpolate from (0, c(0), c'(0)) and (2, c(2), c'(2)).
  auto c = [](double x) { return x * x * x - 3 * x; };
  auto dc = [](double x) { return 3 * x * x - 3; };
  EXPECT_NEAR(optim::cubicMinimum(0, c(0), dc(0), 2, c(2), dc(2), 0, 2), 1.0, 1e-12);
  EXPECT_NEAR(optim::cubicMinimum(2, c(2), dc(2), 0, c(0), dc(0), 0, 2), 1.0, 1e-12);
  // Clamped to the bounds.
  EXPECT_NEAR(optim::cubicMinimum(0, c(0), dc(0), 2, c(2), dc(2), 1.5, 3), 1.5, 1e-12);
}

TEST(StrongWolfeLineSearch, AcceptedStepSatisfiesBothConditions) {
  // phi(t) = f(x + t d) for f = Rosenbrock, x = (-1.2, 1), d = -grad f(x): the first trial step
  // (t = 1) overshoots badly, so the search must zoom.
  Tensor params = Tensor::fromVector({2}, {-1.2f, 1.0f});
  Tensor grads(params.shape());
  int calls = 0;
  auto closure = [&] {
    ++calls;
    return static_cast<float>(testing::rosenbrock(params, grads));
  };
  double f0 = closure();
  Tensor g0 = grads.clone();
  Tensor d = Tensor::fromVector({2}, {-g0[0], -g0[1]});
  double slope = -(g0[0] * g0[0] + g0[1] * g0[1]);
  Tensor grad = g0.clone();
  optim::StrongWolfeLineSearch search;
  calls = 0;
  optim::LineSearchResult r = search.search(params, grads, closure, d, 1.0, f0, grad, slope);
  EXPECT_EQ(r.evaluations, calls);
  EXPECT_GT(r.evaluations, 1);
  EXPECT_GT(r.step, 0);
  EXPECT_LT(r.step, 1);
  EXPECT_LE(r.loss, f0 + 1e-4 * r.step * slope);
  double newSlope = grad[0] * d[0] + grad[1] * d[1];
  EXPECT_LE(std::abs(newSlope), 0.9 * std::abs(slope));
  // params and grad describe the accepted point.
  EXPECT_NEAR(params[0], -1.2 + r.step * d[0], 1e-5);
  Tensor check(params.shape());
  EXPECT_NEAR(testing::rosenbrock(params, check), r.loss, 1e-3);
  EXPECT_NEAR(check[0], grad[0], 1e-3);
}

}  // namespace
}  // namespace shoal
