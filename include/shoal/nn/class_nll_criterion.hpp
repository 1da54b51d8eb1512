// ClassNLLCriterion: negative log-likelihood of the target class given log-probabilities (Torch's ClassNLLCriterion).
#pragma once
#include <string>
#include <vector>

#include "shoal/nn/criterion.hpp"

namespace shoal::nn {

// Input [N, C] log-probabilities, target [N] class indices 0..C-1 stored as floats.
// Loss = -(1/N) sum_n input[n, target[n]] (Mean) or the plain sum (Sum). With class weights w
// (one per class): -sum_n w[t_n] input[n, t_n] / sum_n w[t_n] (Mean, PyTorch's weighted mean) or
// the plain weighted sum (Sum).
class ClassNLLCriterion : public Criterion {
 public:
  explicit ClassNLLCriterion(Reduction reduction = Reduction::Mean, std::vector<float> classWeights = {})
      : Criterion(reduction), weights_(std::move(classWeights)) {}
  std::string typeName() const override { return "ClassNLLCriterion"; }
  const std::vector<float>& classWeights() const { return weights_; }

 protected:
  void checkTarget(const Tensor& input, const Tensor& target) const override;
  float updateOutput(const Tensor& input, const Tensor& target) override;
  void updateGradInput(const Tensor& input, const Tensor& target) override;

 private:
  std::vector<float> weights_;  // empty: every class weighs 1
};

// Checks that `input` is [N, C] and `target` is [N] holding integers in [0, C); throws ShapeError
// or Error naming `criterion`, the offending sample, its value and the class count.
void checkClassTargets(const Criterion& criterion, const Tensor& input, const Tensor& target);

// Class weights, if any, must be one per class (ShapeError naming `criterion`) and not negative.
void checkClassWeights(const Criterion& criterion, const std::vector<float>& weights, int64_t classes);
// Each sample's weight (its class's, or 1 without weights) and their total: the Mean divisor.
double sampleWeightTotal(const std::vector<float>& weights, const Tensor& target);
inline float sampleWeight(const std::vector<float>& weights, float target) {
  return weights.empty() ? 1.0f : weights[static_cast<size_t>(target)];
}

}  // namespace shoal::nn
