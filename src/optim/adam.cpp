// Adam step: one fused, vectorisable pass over parameters, gradients and both moment buffers.
#include "shoal/optim/adam.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "shoal/backend/vector_kernels.hpp"

#include "shoal/error.hpp"

namespace shoal::optim {

Adam::Adam(Options o, std::shared_ptr<LearningRateSchedule> schedule)
    : options_(o), schedule_(std::move(schedule)) {
  auto require = [](bool ok, const char* what, double value) {
    if (!ok) throw UsageError(std::string("Adam: ") + what + ", got " + std::to_string(value));
  };
  require(o.lr >= 0, "learning rate must be non-negative", o.lr);
  require(o.eps >= 0, "eps must be non-negative", o.eps);
  require(o.weightDecay >= 0, "weight decay must be non-negative", o.weightDecay);
  require(o.beta1 >= 0 && o.beta1 < 1, "beta1 must lie in [0, 1)", o.beta1);
  require(o.beta2 >= 0 && o.beta2 < 1, "beta2 must lie in [0, 1)", o.beta2);
}

double Adam::currentLearningRate() const {
  return scheduledRate(schedule_.get(), options_.lr, iteration_, epoch_);
}

float Adam::step(Tensor& params, Tensor& grads, const Closure& closure) {
  float loss = closure();
  int64_t count = params.numel();
  if (grads.numel() != count)
    throw ShapeError("Adam: parameters " + params.shape().str() + " and gradients " + grads.shape().str() +
                     " differ in size");
  if (!firstMoment_.defined()) {
    firstMoment_ = Tensor(params.shape());
    secondMoment_ = Tensor(params.shape());
  }
  if (firstMoment_.numel() != count)
    throw ShapeError("Adam: moment buffers hold " + std::to_string(firstMoment_.numel()) +
                     " values but the parameters " + std::to_string(count));

  double k = static_cast<double>(iteration_ + 1);
  double correction1 = 1.0 - std::pow(options_.beta1, k);
  double correction2 = 1.0 - std::pow(options_.beta2, k);
  const float stepSize = static_cast<float>(currentLearningRate() / correction1);
  const float invSqrtCorrection2 = static_cast<float>(1.0 / std::sqrt(correction2));
  const float beta1 = static_cast<float>(options_.beta1), beta2 = static_cast<float>(options_.beta2);
  const float oneMinusBeta1 = static_cast<float>(1.0 - options_.beta1);
  const float oneMinusBeta2 = static_cast<float>(1.0 - options_.beta2);
  const float eps = static_cast<float>(options_.eps), wd = static_cast<float>(options_.weightDecay);

  float* p = params.data();
  const float* g = grads.data();
  float* m = firstMoment_.data();
  float* v = secondMoment_.data();
  bfloat16* low = lowPrecisionFor(count);  // written in this pass when there is a bf16 copy
  constexpr int64_t kChunk = 1 << 12;  // a stretch is rounded into `low` while in cache
  for (int64_t begin = 0; begin < count; begin += kChunk) {
    const int64_t end = std::min(count, begin + kChunk);
    for (int64_t i = begin; i < end; ++i) {
      float d = g[i] + wd * p[i];
      float mi = beta1 * m[i] + oneMinusBeta1 * d;
      float vi = beta2 * v[i] + oneMinusBeta2 * d * d;
      m[i] = mi;
      v[i] = vi;
      p[i] -= stepSize * mi / (std::sqrt(vi) * invSqrtCorrection2 + eps);
    }
    if (low) backend::roundToBf16(p + begin, low + begin, end - begin);
  }
  ++iteration_;
  return loss;
}

nlohmann::json Adam::config() const {
  return {{"name", name()},
          {"lr", options_.lr},
          {"beta1", options_.beta1},
          {"beta2", options_.beta2},
          {"eps", options_.eps},
          {"weightDecay", options_.weightDecay},
          {"schedule", schedule_ ? schedule_->config() : nlohmann::json(nullptr)}};
}

OptimState Adam::saveState() const {
  OptimState state = OptimMethod::saveState();
  state.scalars["moments"] = firstMoment_.defined();
  if (firstMoment_.defined()) {
    state.scalars["parameters"] = firstMoment_.numel();
    state.tensors.emplace_back("first_moment", firstMoment_.clone());
    state.tensors.emplace_back("second_moment", secondMoment_.clone());
  }
  return state;
}

void Adam::restoreState(const OptimState& state) {
  OptimMethod::restoreState(state);
  if (stateScalar<bool>(state, "moments")) {
    auto count = stateScalar<int64_t>(state, "parameters");
    Tensor first = stateTensor(state, "first_moment", count).clone();
    secondMoment_ = stateTensor(state, "second_moment", count).clone();
    firstMoment_ = std::move(first);
  } else {
    firstMoment_ = Tensor();
    secondMoment_ = Tensor();
  }
}

}  // namespace shoal::optim
