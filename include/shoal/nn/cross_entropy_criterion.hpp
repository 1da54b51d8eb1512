// CrossEntropyCriterion: log-softmax fused with negative log-likelihood over raw class scores (Torch's CrossEntropyLoss).
#pragma once
#include <string>

#include "shoal/nn/criterion.hpp"

namespace shoal::nn {

// Input [N, C] raw scores, target [N] class indices 0..C-1 stored as floats.
// Loss_n = logsumexp(input[n, :]) - input[n, target[n]], averaged over N (Mean) or summed (Sum);
// the log-sum-exp subtracts the row maximum, so large scores do not overflow.
class CrossEntropyCriterion : public Criterion {
 public:
  explicit CrossEntropyCriterion(Reduction reduction = Reduction::Mean) : Criterion(reduction) {}
  std::string typeName() const override { return "CrossEntropyCriterion"; }

 protected:
  void checkTarget(const Tensor& input, const Tensor& target) const override;
  float updateOutput(const Tensor& input, const Tensor& target) override;
  void updateGradInput(const Tensor& input, const Tensor& target) override;
};

}  // namespace shoal::nn
