// Mean squared error loss and its gradient.
#include "shoal/nn/mse_criterion.hpp"

#include "shoal/error.hpp"

namespace shoal::nn {

void MSECriterion::checkTarget(const Tensor& input, const Tensor& target) const {
  if (!(input.shape() == target.shape()))
    throw ShapeError(typeName() + ": expected target shaped like the input " + input.shape().str() +
                     ", got " + target.shape().str());
}

// input, target: any shape, same shape
float MSECriterion::updateOutput(const Tensor& input, const Tensor& target) {
  int64_t count = input.numel();
  const float* x = input.data();
  const float* y = target.data();
  double sum = 0.0;
  for (int64_t i = 0; i < count; ++i) {
    double diff = static_cast<double>(x[i]) - y[i];
    sum += diff * diff;
  }
  if (reduction_ == Reduction::Mean && count > 0) sum /= static_cast<double>(count);
  return static_cast<float>(sum);
}

// gradInput = scale * 2 * (input - target)
void MSECriterion::updateGradInput(const Tensor& input, const Tensor& target) {
  int64_t count = input.numel();
  float scale = 2.0f / (reduction_ == Reduction::Mean && count > 0 ? static_cast<float>(count) : 1.0f);
  const float* x = input.data();
  const float* y = target.data();
  float* g = gradInput_.data();
  for (int64_t i = 0; i < count; ++i) g[i] = scale * (x[i] - y[i]);
}

}  // namespace shoal::nn
