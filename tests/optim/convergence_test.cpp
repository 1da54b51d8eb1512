// Every optimiser minimises a synthetic least-squares problem and the 2-d Rosenbrock function.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <random>

#include "optim/test_problems.hpp"
#include "shoal/optim/adam.hpp"
#include "shoal/optim/lbfgs.hpp"
#include "shoal/optim/sgd.hpp"

namespace shoal {
namespace {

// f(x) = 1/(2M) |A x - y|^2, A [M, 5] random, y = A x* for a known x*.
struct LeastSquares {
  static constexpr int64_t kRows = 40, kCols = 5;
  std::vector<double> a, y, solution;

  LeastSquares() {
    std::mt19937_64 gen(11);
    std::normal_distribution<double> normal;
    for (int64_t j = 0; j < kCols; ++j) solution.push_back(normal(gen));
    for (int64_t i = 0; i < kRows * kCols; ++i) a.push_back(normal(gen));
    for (int64_t i = 0; i < kRows; ++i) {
      double sum = 0;
      for (int64_t j = 0; j < kCols; ++j) sum += a[i * kCols + j] * solution[j];
      y.push_back(sum);
    }
  }

  double evaluate(const Tensor& x, Tensor& grad) const {
    grad.fill(0.0f);
    double loss = 0;
    std::vector<double> g(kCols, 0.0);
    for (int64_t i = 0; i < kRows; ++i) {
      double r = -y[i];
      for (int64_t j = 0; j < kCols; ++j) r += a[i * kCols + j] * x[j];
      loss += 0.5 * r * r / kRows;
      for (int64_t j = 0; j < kCols; ++j) g[j] += r * a[i * kCols + j] / kRows;
    }
    for (int64_t j = 0; j < kCols; ++j) grad[j] = static_cast<float>(g[j]);
    return loss;
  }
};

struct Case {
  const char* name;
  std::shared_ptr<optim::OptimMethod> method;
  int steps;
};

std::vector<Case> leastSquaresCases() {
  using optim::LBFGS;
  return {
      {"sgd", std::make_shared<optim::SGD>(optim::SGD::Options{.lr = 0.2}), 2000},
      {"sgd momentum", std::make_shared<optim::SGD>(optim::SGD::Options{.lr = 0.05, .momentum = 0.9}), 2000},
      {"sgd nesterov",
       std::make_shared<optim::SGD>(optim::SGD::Options{.lr = 0.05, .momentum = 0.9, .nesterov = true}), 2000},
      {"adam", std::make_shared<optim::Adam>(optim::Adam::Options{.lr = 0.01},
                                             std::make_shared<optim::StepSchedule>(1000, 0.1, false)), 3000},
      {"lbfgs", std::make_shared<LBFGS>(LBFGS::Options{}), 5},
      {"lbfgs wolfe", std::make_shared<LBFGS>(LBFGS::Options{.lineSearch = LBFGS::LineSearch::StrongWolfe}), 5},
  };
}

TEST(Convergence, EveryOptimiserSolvesLeastSquares) {
  LeastSquares problem;
  for (const Case& c : leastSquaresCases()) {
    Tensor params(Shape{LeastSquares::kCols});
    Tensor grads(params.shape());
    optim::Closure closure = [&] { return static_cast<float>(problem.evaluate(params, grads)); };
    for (int s = 0; s < c.steps; ++s) c.method->step(params, grads, closure);
    for (int64_t j = 0; j < LeastSquares::kCols; ++j)
      EXPECT_NEAR(params[j], problem.solution[j], 1e-4) << c.name << " x[" << j << "]";
  }
}

TEST(Convergence, EveryOptimiserSolvesRosenbrock) {
  using optim::LBFGS;
  std::vector<Case> cases = {
      {"sgd momentum", std::make_shared<optim::SGD>(optim::SGD::Options{.lr = 1e-3, .momentum = 0.9}), 20000},
      {"adam", std::make_shared<optim::Adam>(optim::Adam::Options{.lr = 0.01},
                                             std::make_shared<optim::StepSchedule>(5000, 0.1, false)), 15000},
      {"lbfgs", std::make_shared<LBFGS>(LBFGS::Options{.lr = 0.5, .maxIter = 200}), 1},
      {"lbfgs wolfe",
       std::make_shared<LBFGS>(LBFGS::Options{.maxIter = 200, .lineSearch = LBFGS::LineSearch::StrongWolfe}), 1},
  };
  for (const Case& c : cases) {
    Tensor params = Tensor::fromVector({2}, {-1.2f, 1.0f});
    Tensor grads(params.shape());
    optim::Closure closure = [&] { return static_cast<float>(testing::rosenbrock(params, grads)); };
    for (int s = 0; s < c.steps; ++s) c.method->step(params, grads, closure);
    EXPECT_NEAR(params[0], 1.0, 1e-3) << c.name;
    EXPECT_NEAR(params[1], 1.0, 2e-3) << c.name;
  }
}

}  // namespace
}  // namespace shoal
