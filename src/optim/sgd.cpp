// SGD step: one fused pass over parameters, gradients and the momentum buffer, on every core, vectorised.
#include "shoal/optim/sgd.hpp"

#include <string>

#include "shoal/error.hpp"

namespace shoal::optim {
namespace {

constexpr int64_t kParallelFrom = 1 << 16;  // shorter buffers stay on the calling thread

struct Coefficients {
  float lr, momentum, dampened, weightDecay;  // dampened = 1 - dampening
};

// The passes return whether every g[i] was finite: g - g is 0 for a finite g, NaN otherwise,
// summed on the way (no second pass over the gradients).

// p, g: [count]; p -= lr * (g + wd * p); with kLow, low = p rounded to bf16 in the same pass.
template <bool kLow>
bool plainPass(float* p, const float* g, bfloat16* low, int64_t count, Coefficients k) {
  float nonFinite = 0.0f;
#pragma omp parallel for simd reduction(+ : nonFinite) if (count >= kParallelFrom)
  for (int64_t i = 0; i < count; ++i) {
    nonFinite += g[i] - g[i];
    float updated = p[i] - k.lr * (g[i] + k.weightDecay * p[i]);
    p[i] = updated;
    if constexpr (kLow) low[i] = bfloat16(updated);
  }
  return nonFinite == 0.0f;
}

// p, g, b: [count]; the momentum update, with the buffer set to the gradient on the first step;
// with kLow, low = p rounded to bf16 in the same pass.
template <bool kFirst, bool kNesterov, bool kLow>
bool momentumPass(float* p, const float* g, float* b, bfloat16* low, int64_t count,
                  Coefficients k) {
  float nonFinite = 0.0f;
#pragma omp parallel for simd reduction(+ : nonFinite) if (count >= kParallelFrom)
  for (int64_t i = 0; i < count; ++i) {
    nonFinite += g[i] - g[i];
    float d = g[i] + k.weightDecay * p[i];
    float buf = kFirst ? d : k.momentum * b[i] + k.dampened * d;
    b[i] = buf;
    float updated = p[i] - k.lr * (kNesterov ? d + k.momentum * buf : buf);
    p[i] = updated;
    if constexpr (kLow) low[i] = bfloat16(updated);
  }
  return nonFinite == 0.0f;
}

template <bool kLow>
using MomentumPass = bool (*)(float*, const float*, float*, bfloat16*, int64_t, Coefficients);

// The momentum pass for a first step or not, Nesterov or not.
template <bool kLow>
MomentumPass<kLow> momentumPassFor(bool first, bool nesterov) {
  if (first) return nesterov ? momentumPass<true, true, kLow> : momentumPass<true, false, kLow>;
  return nesterov ? momentumPass<false, true, kLow> : momentumPass<false, false, kLow>;
}

void requireNonNegative(double value, const char* what) {
  if (!(value >= 0)) throw UsageError(std::string("SGD: ") + what + " must be non-negative, got " + std::to_string(value));
}

}  // namespace

SGD::SGD(Options o, std::shared_ptr<LearningRateSchedule> schedule)
    : options_(o), schedule_(std::move(schedule)) {
  requireNonNegative(o.lr, "learning rate");
  requireNonNegative(o.momentum, "momentum");
  requireNonNegative(o.dampening, "dampening");
  requireNonNegative(o.weightDecay, "weight decay");
  if (o.nesterov && (o.momentum <= 0 || o.dampening != 0))
    throw UsageError("SGD: Nesterov momentum needs momentum > 0 and dampening 0 (got momentum " +
                     std::to_string(o.momentum) + ", dampening " + std::to_string(o.dampening) + ")");
}

double SGD::currentLearningRate() const {
  return scheduledRate(schedule_.get(), options_.lr, iteration_, epoch_);
}

float SGD::step(Tensor& params, Tensor& grads, const Closure& closure) {
  float loss = closure();
  if (params.numel() != grads.numel())
    throw ShapeError("SGD: parameters " + params.shape().str() + " and gradients " + grads.shape().str() +
                     " differ in size");
  Coefficients k{static_cast<float>(currentLearningRate()), static_cast<float>(options_.momentum),
                 static_cast<float>(1.0 - options_.dampening), static_cast<float>(options_.weightDecay)};
  int64_t count = params.numel();
  float* p = params.data();
  const float* g = grads.data();
  bfloat16* low = lowPrecisionFor(count);
  if (options_.momentum == 0) {
    gradientsFinite_ = low ? plainPass<true>(p, g, low, count, k) : plainPass<false>(p, g, low, count, k);
  } else {
    bool first = !momentumBuffer_.defined();
    if (first) momentumBuffer_ = Tensor(params.shape());
    if (momentumBuffer_.numel() != count)
      throw ShapeError("SGD: momentum buffer holds " + std::to_string(momentumBuffer_.numel()) +
                       " values but the parameters " + std::to_string(count));
    float* b = momentumBuffer_.data();
    gradientsFinite_ = low ? momentumPassFor<true>(first, options_.nesterov)(p, g, b, low, count, k)
                           : momentumPassFor<false>(first, options_.nesterov)(p, g, b, low, count, k);
  }
  ++iteration_;
  return loss;
}

bool SGD::lastGradientsFinite(const Tensor&) const { return gradientsFinite_; }

nlohmann::json SGD::config() const {
  return {{"name", name()},
          {"lr", options_.lr},
          {"momentum", options_.momentum},
          {"dampening", options_.dampening},
          {"nesterov", options_.nesterov},
          {"weightDecay", options_.weightDecay},
          {"schedule", schedule_ ? schedule_->config() : nlohmann::json(nullptr)}};
}

OptimState SGD::saveState() const {
  OptimState state = OptimMethod::saveState();
  state.scalars["momentum_buffer"] = momentumBuffer_.defined();
  if (momentumBuffer_.defined()) {
    state.scalars["parameters"] = momentumBuffer_.numel();
    state.tensors.emplace_back("momentum_buffer", momentumBuffer_.clone());
  }
  return state;
}

void SGD::restoreState(const OptimState& state) {
  OptimMethod::restoreState(state);
  if (stateScalar<bool>(state, "momentum_buffer"))
    momentumBuffer_ = stateTensor(state, "momentum_buffer", stateScalar<int64_t>(state, "parameters")).clone();
  else
    momentumBuffer_ = Tensor();
}

}  // namespace shoal::optim
