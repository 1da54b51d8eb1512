// ClassNLLCriterion: negative log-likelihood of the target class given log-probabilities (Torch's ClassNLLCriterion).
#pragma once
#include <string>

#include "shoal/nn/criterion.hpp"

namespace shoal::nn {

// Input [N, C] log-probabilities, target [N] class indices 0..C-1 stored as floats.
// Loss = -(1/N) sum_n input[n, target[n]] (Mean) or the plain sum (Sum).
class ClassNLLCriterion : public Criterion {
 public:
  explicit ClassNLLCriterion(Reduction reduction = Reduction::Mean) : Criterion(reduction) {}
  std::string typeName() const override { return "ClassNLLCriterion"; }

 protected:
  void checkTarget(const Tensor& input, const Tensor& target) const override;
  float updateOutput(const Tensor& input, const Tensor& target) override;
  void updateGradInput(const Tensor& input, const Tensor& target) override;
};

// Checks that `input` is [N, C] and `target` is [N] holding integers in [0, C); throws ShapeError
// or Error naming `criterion`, the offending sample, its value and the class count.
void checkClassTargets(const Criterion& criterion, const Tensor& input, const Tensor& target);

}  // namespace shoal::nn
