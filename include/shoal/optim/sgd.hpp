// SGD: stochastic gradient descent with momentum, dampening, Nesterov and weight decay (torch.optim.SGD).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "shoal/optim/lr_schedule.hpp"
#include "shoal/optim/optim_method.hpp"

namespace shoal::optim {

// Per element, with g the gradient, p the parameter, b the momentum buffer:
//   g += weightDecay * p
//   b = g on the first step, else momentum * b + (1 - dampening) * g      (momentum != 0)
//   g = nesterov ? g + momentum * b : b                                     (momentum != 0)
//   p -= lr * g
// One fused pass over the flat buffers per step; the buffer is allocated on the first step.
class SGD : public OptimMethod {
 public:
  struct Options {
    double lr = 0.01;
    double momentum = 0;
    double dampening = 0;
    bool nesterov = false;
    double weightDecay = 0;
  };

  // Throws UsageError for a negative setting, or Nesterov without momentum or with dampening.
  explicit SGD(Options o, std::shared_ptr<LearningRateSchedule> schedule = nullptr);

  float step(Tensor& params, Tensor& grads, const Closure& closure) override;
  bool writesLowPrecisionCopy() const override { return true; }
  std::string name() const override { return "SGD"; }
  double currentLearningRate() const override;
  nlohmann::json config() const override;
  // Noted by the update pass of the last step.
  bool lastGradientsFinite(const Tensor& grads) const override;
  // Adds the momentum buffer once a step with momentum has allocated it.
  OptimState saveState() const override;
  void restoreState(const OptimState& state) override;
  const Options& options() const { return options_; }

 private:
  Options options_;
  std::shared_ptr<LearningRateSchedule> schedule_;
  Tensor momentumBuffer_;  // [params]; undefined until the first step with momentum
  bool gradientsFinite_ = true;  // of the last step, noted by its update pass
};

}  // namespace shoal::optim
