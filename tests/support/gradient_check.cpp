// Finite-difference gradient checker implementation.
#include "support/gradient_check.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <string>

namespace shoal::testing {
namespace {

double projected(const Tensor& out, const Tensor& r) {
  double sum = 0.0;
  for (int64_t i = 0; i < out.numel(); ++i) sum += static_cast<double>(out[i]) * r[i];
  return sum;
}

// Compares analytic[i] with differences of `loss` while `x[i]` is perturbed, for evenly
// spread i. `what` names the tensor in failure messages.
void compare(Tensor& x, const Tensor& analytic, const std::function<double()>& loss,
             const GradCheckOptions& o, const std::string& what) {
  int64_t n = x.numel();
  int64_t stride = std::max<int64_t>(1, n / o.maxChecks);
  int checked = 0, skipped = 0;
  for (int64_t i = 0; i < n; i += stride) {
    float saved = x[i];
    double h = o.step;
    x[i] = static_cast<float>(saved + h);
    double plus = loss();
    x[i] = static_cast<float>(saved - h);
    double minus = loss();
    x[i] = saved;
    double centre = loss();
    double forwardDiff = (plus - centre) / h, backwardDiff = (centre - minus) / h;
    double numeric = (plus - minus) / (2 * h);
    double scale = std::max({1.0, std::abs(forwardDiff), std::abs(backwardDiff)});
    if (std::abs(forwardDiff - backwardDiff) > o.tolerance * scale) {
      ++skipped;  // a kink lies inside [x - h, x + h]
      continue;
    }
    double a = analytic[i];
    double err = std::abs(a - numeric) / std::max({1.0, std::abs(a), std::abs(numeric)});
    EXPECT_LE(err, o.tolerance) << what << "[" << i << "]: analytic " << a << ", numeric " << numeric;
    ++checked;
  }
  EXPECT_GT(checked, 0) << what << ": every element was skipped as a kink (" << skipped << ")";
}

}  // namespace

Tensor randomTensor(const Shape& shape, uint64_t seed, float lo, float hi) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  Tensor t(shape);
  for (int64_t i = 0; i < t.numel(); ++i) t[i] = dist(gen);
  return t;
}

void expectModuleGradients(nn::Module& module, const Tensor& input, const GradCheckOptions& o) {
  Tensor x = input.clone();
  Tensor out = module.forward(x).clone();
  Tensor r = randomTensor(out.shape(), o.seed);
  r.setLayout(out.layout());  // the output gradient comes in the output's layout
  module.zeroGradParameters();
  Tensor gradInput = module.backward(x, r).clone();
  std::vector<Tensor> paramGrads;
  auto params = module.parameters();
  for (auto& p : params) paramGrads.push_back(p.grad->clone());

  auto loss = [&] { return projected(module.forward(x), r); };
  compare(x, gradInput, loss, o, module.describe() + " gradInput");
  for (size_t k = 0; k < params.size(); ++k)
    compare(*params[k].value, paramGrads[k], loss, o, module.describe() + " grad " + params[k].name);
}

void expectCriterionGradient(nn::Criterion& criterion, const Tensor& input, const Tensor& target,
                             const GradCheckOptions& o) {
  Tensor x = input.clone();
  Tensor grad = criterion.backward(x, target).clone();
  auto loss = [&] { return static_cast<double>(criterion.forward(x, target)); };
  compare(x, grad, loss, o, criterion.typeName() + " gradInput");
}

}  // namespace shoal::testing
