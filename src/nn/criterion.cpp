// Shape-checked entry points shared by every criterion.
#include "shoal/nn/criterion.hpp"

namespace shoal::nn {

float Criterion::forward(const Tensor& input, const Tensor& target) {
  checkTarget(input, target);
  return updateOutput(input, target);
}

const Tensor& Criterion::backward(const Tensor& input, const Tensor& target) {
  checkTarget(input, target);
  gradInput_.resize(input.shape());
  updateGradInput(input, target);
  return gradInput_;
}

}  // namespace shoal::nn
