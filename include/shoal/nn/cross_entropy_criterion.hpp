// CrossEntropyCriterion: log-softmax fused with negative log-likelihood over raw class scores (Torch's CrossEntropyLoss).
#pragma once
#include <string>
#include <vector>

#include "shoal/nn/criterion.hpp"

namespace shoal::nn {

// Input [N, C] raw scores, target [N] class indices 0..C-1 stored as floats.
// Loss_n = logsumexp(input[n, :]) - input[n, target[n]], averaged over N (Mean) or summed (Sum);
// the log-sum-exp subtracts the row maximum, so large scores do not overflow. With class weights w
// (one per class) each sample's loss is weighted by w[target[n]] and Mean divides by the sum of
// the samples' weights, as PyTorch's CrossEntropyLoss(weight=...) does.
class CrossEntropyCriterion : public Criterion {
 public:
  explicit CrossEntropyCriterion(Reduction reduction = Reduction::Mean, std::vector<float> classWeights = {})
      : Criterion(reduction), weights_(std::move(classWeights)) {}
  std::string typeName() const override { return "CrossEntropyCriterion"; }
  const std::vector<float>& classWeights() const { return weights_; }

 protected:
  void checkTarget(const Tensor& input, const Tensor& target) const override;
  float updateOutput(const Tensor& input, const Tensor& target) override;
  void updateGradInput(const Tensor& input, const Tensor& target) override;

 private:
  std::vector<float> weights_;  // empty: every class weighs 1
};

}  // namespace shoal::nn
