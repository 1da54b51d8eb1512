// Criterion: a loss between a batch of outputs and targets, with its gradient (Torch's nn.Criterion).
#pragma once
#include <string>

#include "shoal/tensor/tensor.hpp"

namespace shoal::nn {

enum class Reduction { Mean, Sum };

// Targets are float tensors: class indices 0..C-1 of shape [N] for classification criteria,
// or a tensor shaped like the input for regression criteria.
class Criterion {
 public:
  explicit Criterion(Reduction reduction = Reduction::Mean) : reduction_(reduction) {}
  virtual ~Criterion() = default;

  // The loss; checks shapes and target values (ShapeError / Error naming the criterion).
  float forward(const Tensor& input, const Tensor& target);
  // Gradient of the loss with respect to `input`; valid until the next call.
  const Tensor& backward(const Tensor& input, const Tensor& target);
  const Tensor& gradInput() const { return gradInput_; }
  Reduction reduction() const { return reduction_; }
  virtual std::string typeName() const = 0;

 protected:
  virtual void checkTarget(const Tensor& input, const Tensor& target) const = 0;
  virtual float updateOutput(const Tensor& input, const Tensor& target) = 0;
  virtual void updateGradInput(const Tensor& input, const Tensor& target) = 0;

  Reduction reduction_;
  Tensor gradInput_;
};

}  // namespace shoal::nn
