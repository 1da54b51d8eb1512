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
  // Momentum correction's step (see OptimMethod): the momentum buffer becomes `update` and each
  // parameter moves by -lr x unit per code of its element, the bf16 copy with it; only the
  // elements of this step's and the last sparse step's codes are touched. Weight decay keeps its
  // own part of the buffer, D = m D + wd p, and moves every parameter by -lr D (one pass over
  // the parameters; none without weight decay): the step is SGD's step for the gradient
  // G_t - m G_{t-1}, G being the updates. Needs momentum > 0, dampening 0, no Nesterov, and the
  // update's momentum equal to this SGD's: UsageError otherwise.
  float stepBySparseUpdate(Tensor& params, const Closure& closure, const SparseUpdate& update) override;
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
  // After a sparse step: its update (codes and unit), which the momentum buffer holds besides
  // weight decay's part (0 without weight decay); bufferSparse_ false after a dense step (the
  // buffer may hold anything). Without weight decay a sparse step leaves the buffer at 0 and the
  // update only here (bufferPending_: two random accesses fewer per code), added in when a dense
  // step or saveState needs the whole buffer.
  std::vector<int32_t> bufferCodes_;
  float bufferUnit_ = 0;
  bool bufferSparse_ = false;
  bool bufferPending_ = false;
  bool gradientsFinite_ = true;  // of the last step, noted by its update pass
};

}  // namespace shoal::optim
