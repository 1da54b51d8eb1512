// Small objectives with hand-written gradients, and a runner comparing optimisers with PyTorch trajectories.
#pragma once
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "shoal/optim/optim_method.hpp"
#include "support/fixtures.hpp"

namespace shoal::testing {

// f(x) = 0.5 x'Ax - b'x + q sum(x^4) with A [n, n] symmetric, b [n]; double accumulation.
struct QuarticProblem {
  Tensor a, b;
  double quartic = 0;

  double evaluate(const Tensor& x, Tensor& grad) const {
    int64_t n = b.numel();
    double loss = 0;
    for (int64_t i = 0; i < n; ++i) {
      double ax = 0;
      for (int64_t j = 0; j < n; ++j) ax += static_cast<double>(a[i * n + j]) * x[j];
      double xi = x[i];
      loss += 0.5 * xi * ax - b[i] * xi + quartic * xi * xi * xi * xi;
      grad[i] = static_cast<float>(ax - b[i] + 4 * quartic * xi * xi * xi);
    }
    return loss;
  }
};

// f(x, y) = (1 - x)^2 + 100 (y - x^2)^2, minimum 0 at (1, 1).
inline double rosenbrock(const Tensor& p, Tensor& grad) {
  double x = p[0], y = p[1];
  grad[0] = static_cast<float>(-2 * (1 - x) - 400 * x * (y - x * x));
  grad[1] = static_cast<float>(200 * (y - x * x));
  return (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);
}

// Runs `method` from each fixture case's starting point and compares the parameters after each
// step and the loss each step() returned with PyTorch's. Returns the closure calls made.
inline int runGoldenCase(const nlohmann::json& fixture, const nlohmann::json& c, optim::OptimMethod& method,
                         double rtol, double atol) {
  QuarticProblem problem{tensorFromJson(fixture.at("A")), tensorFromJson(fixture.at("b")),
                         c.at("quartic").get<double>()};
  Tensor params = tensorFromJson(c.at("x0"));
  Tensor grads(params.shape());
  Tensor expected = tensorFromJson(c.at("params"));
  auto losses = c.at("losses").get<std::vector<double>>();
  int calls = 0;
  optim::Closure closure = [&] {
    ++calls;
    grads.fill(0.0f);
    return static_cast<float>(problem.evaluate(params, grads));
  };
  int64_t n = params.numel();
  for (int64_t s = 0; s < expected.dim(0); ++s) {
    float loss = method.step(params, grads, closure);
    std::string what = method.name() + " " + c.at("options").dump() + " step " + std::to_string(s + 1);
    EXPECT_NEAR(loss, losses[s], atol + rtol * std::abs(losses[s])) << what;
    expectNear(params, expected.narrow(s, 1).view(Shape{n}), rtol, atol, what);
  }
  return calls;
}

}  // namespace shoal::testing
