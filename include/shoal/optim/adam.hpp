// Adam: adaptive moment estimation with bias correction and L2 weight decay (torch.optim.Adam).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "shoal/optim/lr_schedule.hpp"
#include "shoal/optim/optim_method.hpp"

namespace shoal::optim {

// Per element, at step k = 1, 2, ... (k = iteration() + 1):
//   g += weightDecay * p
//   m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g^2
//   p -= lr / (1 - beta1^k) * m / (sqrt(v) / sqrt(1 - beta2^k) + eps)
// The moment buffers are allocated on the first step.
class Adam : public OptimMethod {
 public:
  struct Options {
    double lr = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weightDecay = 0;
  };

  // Throws UsageError for a negative rate, eps or weight decay, or a beta outside [0, 1).
  explicit Adam(Options o, std::shared_ptr<LearningRateSchedule> schedule = nullptr);

  float step(Tensor& params, Tensor& grads, const Closure& closure) override;
  bool writesLowPrecisionCopy() const override { return true; }
  std::string name() const override { return "Adam"; }
  double currentLearningRate() const override;
  nlohmann::json config() const override;
  // Adds both moment buffers once the first step has allocated them (the step count is iteration()).
  OptimState saveState() const override;
  void restoreState(const OptimState& state) override;
  const Options& options() const { return options_; }

 private:
  Options options_;
  std::shared_ptr<LearningRateSchedule> schedule_;
  Tensor firstMoment_;   // m [params]
  Tensor secondMoment_;  // v [params]
};

}  // namespace shoal::optim
