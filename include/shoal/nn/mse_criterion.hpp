// MSECriterion: mean squared error between an output and a target of the same shape (Torch's MSELoss).
#pragma once
#include <string>

#include "shoal/nn/criterion.hpp"

namespace shoal::nn {

// Loss = (1/numel) sum (input - target)^2 over all elements (Mean), or the plain sum (Sum).
class MSECriterion : public Criterion {
 public:
  explicit MSECriterion(Reduction reduction = Reduction::Mean) : Criterion(reduction) {}
  std::string typeName() const override { return "MSECriterion"; }

 protected:
  void checkTarget(const Tensor& input, const Tensor& target) const override;
  float updateOutput(const Tensor& input, const Tensor& target) override;
  void updateGradInput(const Tensor& input, const Tensor& target) override;
};

}  // namespace shoal::nn
