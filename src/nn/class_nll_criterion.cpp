// Negative log-likelihood loss over class log-probabilities, and the shared class-target checks.
#include "shoal/nn/class_nll_criterion.hpp"

#include <cmath>
#include <sstream>

#include "shoal/error.hpp"

namespace shoal::nn {

void checkClassTargets(const Criterion& criterion, const Tensor& input, const Tensor& target) {
  // The name is made only for a message: a std::string per step would allocate.
  if (input.rank() != 2)
    throw ShapeError(criterion.typeName() + ": expected input [N, C], got " + input.shape().str());
  int64_t n = input.dim(0), c = input.dim(1);
  if (target.rank() != 1 || target.dim(0) != n)
    throw ShapeError(criterion.typeName() + ": expected target [" + std::to_string(n) + "] for input " +
                     input.shape().str() + ", got " + target.shape().str());
  const float* t = target.data();
  for (int64_t i = 0; i < n; ++i) {
    float v = t[i];
    if (!(v >= 0.0f && v < static_cast<float>(c) && std::floor(v) == v)) {
      std::ostringstream msg;
      msg << criterion.typeName() << ": target of sample " << i << " is " << v << ", expected a class index in [0, "
          << c << ") (" << c << " classes)";
      throw Error(msg.str());
    }
  }
}

void checkClassWeights(const Criterion& criterion, const std::vector<float>& weights, int64_t classes) {
  if (weights.empty()) return;
  if (static_cast<int64_t>(weights.size()) != classes)
    throw ShapeError(criterion.typeName() + ": " + std::to_string(weights.size()) + " class weights for " +
                     std::to_string(classes) + " classes");
  for (float w : weights)
    if (!(w >= 0.0f)) throw Error(criterion.typeName() + ": class weights must not be negative");
}

double sampleWeightTotal(const std::vector<float>& weights, const Tensor& target) {
  const int64_t n = target.numel();
  if (weights.empty()) return static_cast<double>(n);
  double total = 0;
  for (int64_t i = 0; i < n; ++i) total += sampleWeight(weights, target[i]);
  return total;
}

void ClassNLLCriterion::checkTarget(const Tensor& input, const Tensor& target) const {
  checkClassTargets(*this, input, target);
  checkClassWeights(*this, weights_, input.dim(1));
}

// input [N, C], target [N]
float ClassNLLCriterion::updateOutput(const Tensor& input, const Tensor& target) {
  int64_t n = input.dim(0), c = input.dim(1);
  const float* x = input.data();
  const float* t = target.data();
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i)
    sum += static_cast<double>(sampleWeight(weights_, t[i])) * x[i * c + static_cast<int64_t>(t[i])];
  const double total = sampleWeightTotal(weights_, target);
  if (reduction_ == Reduction::Mean && total > 0) sum /= total;
  return static_cast<float>(-sum);
}

// gradInput [N, C]: -w[t_n] * scale at each sample's target class, 0 elsewhere.
void ClassNLLCriterion::updateGradInput(const Tensor& input, const Tensor& target) {
  int64_t n = input.dim(0), c = input.dim(1);
  const double total = sampleWeightTotal(weights_, target);
  float scale = reduction_ == Reduction::Mean && total > 0 ? static_cast<float>(1.0 / total) : 1.0f;
  gradInput_.fill(0.0f);
  float* g = gradInput_.data();
  const float* t = target.data();
  for (int64_t i = 0; i < n; ++i) g[i * c + static_cast<int64_t>(t[i])] = -scale * sampleWeight(weights_, t[i]);
}

}  // namespace shoal::nn
