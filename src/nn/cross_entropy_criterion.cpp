// Cross-entropy over raw scores with a numerically stable fused log-softmax.
#include "shoal/nn/cross_entropy_criterion.hpp"

#include <cmath>

#include "shoal/nn/class_nll_criterion.hpp"

namespace shoal::nn {
namespace {

// Row maximum and log(sum(exp(row - max))) of one sample's C scores.
struct RowLogSumExp {
  float max;
  float logSum;
};

RowLogSumExp rowLogSumExp(const float* row, int64_t c) {
  float m = row[0];
  for (int64_t j = 1; j < c; ++j) m = std::fmax(m, row[j]);
  float sum = 0.0f;
  for (int64_t j = 0; j < c; ++j) sum += std::exp(row[j] - m);
  return {m, std::log(sum)};
}

}  // namespace

void CrossEntropyCriterion::checkTarget(const Tensor& input, const Tensor& target) const {
  checkClassTargets(*this, input, target);
  checkClassWeights(*this, weights_, input.dim(1));
}

// input [N, C], target [N]
float CrossEntropyCriterion::updateOutput(const Tensor& input, const Tensor& target) {
  int64_t n = input.dim(0), c = input.dim(1);
  const float* x = input.data();
  const float* t = target.data();
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float* row = x + i * c;
    RowLogSumExp r = rowLogSumExp(row, c);
    sum += sampleWeight(weights_, t[i]) *
           (static_cast<double>(r.max) + r.logSum - row[static_cast<int64_t>(t[i])]);
  }
  const double total = sampleWeightTotal(weights_, target);
  if (reduction_ == Reduction::Mean && total > 0) sum /= total;
  return static_cast<float>(sum);
}

// gradInput [N, C] = scale * w[target[n]] * (softmax(input) - onehot(target))
void CrossEntropyCriterion::updateGradInput(const Tensor& input, const Tensor& target) {
  int64_t n = input.dim(0), c = input.dim(1);
  const double total = sampleWeightTotal(weights_, target);
  const float mean = reduction_ == Reduction::Mean && total > 0 ? static_cast<float>(1.0 / total) : 1.0f;
  const float* x = input.data();
  const float* t = target.data();
  float* g = gradInput_.data();
  for (int64_t i = 0; i < n; ++i) {
    const float* row = x + i * c;
    float* gradRow = g + i * c;
    RowLogSumExp r = rowLogSumExp(row, c);
    float shift = r.max + r.logSum;
    const float scale = mean * sampleWeight(weights_, t[i]);
    for (int64_t j = 0; j < c; ++j) gradRow[j] = scale * std::exp(row[j] - shift);
    gradRow[static_cast<int64_t>(t[i])] -= scale;
  }
}

}  // namespace shoal::nn
