// L-BFGS iterations: curvature history, two-loop recursion, fixed or strong-Wolfe steps, stopping tests.
#include "shoal/optim/lbfgs.hpp"

#include <algorithm>
#include <cmath>

#include "shoal/error.hpp"

namespace shoal::optim {
namespace {

double dot(const Tensor& a, const Tensor& b) {
  const float* x = a.data();
  const float* y = b.data();
  double sum = 0.0;
  for (int64_t i = 0; i < a.numel(); ++i) sum += static_cast<double>(x[i]) * y[i];
  return sum;
}

double maxAbs(const Tensor& a) {
  const float* x = a.data();
  float m = 0.0f;
  for (int64_t i = 0; i < a.numel(); ++i) m = std::max(m, std::abs(x[i]));
  return m;
}

double sumAbs(const Tensor& a) {
  const float* x = a.data();
  double s = 0.0;
  for (int64_t i = 0; i < a.numel(); ++i) s += std::abs(x[i]);
  return s;
}

// y += alpha * x
void axpy(double alpha, const Tensor& x, Tensor& y) {
  float a = static_cast<float>(alpha);
  const float* xs = x.data();
  float* ys = y.data();
  for (int64_t i = 0; i < y.numel(); ++i) ys[i] += a * xs[i];
}

}  // namespace

LBFGS::LBFGS(Options o)
    : options_(o),
      maxEval_(o.maxEval > 0 ? o.maxEval : o.maxIter * 5 / 4),
      lineSearch_(StrongWolfeLineSearch::Options{}) {
  if (!(o.lr > 0)) throw UsageError("LBFGS: learning rate must be positive, got " + std::to_string(o.lr));
  if (o.maxIter <= 0) throw UsageError("LBFGS: maxIter must be positive, got " + std::to_string(o.maxIter));
  if (o.maxEval < 0) throw UsageError("LBFGS: maxEval must be non-negative, got " + std::to_string(o.maxEval));
  if (o.historySize <= 0)
    throw UsageError("LBFGS: historySize must be positive, got " + std::to_string(o.historySize));
}

void LBFGS::allocate(int64_t count) {
  if (flatGrad_.defined()) {
    if (flatGrad_.numel() != count)
      throw ShapeError("LBFGS: the parameter buffer changed size from " + std::to_string(flatGrad_.numel()) +
                       " to " + std::to_string(count));
    return;
  }
  Shape shape({count});
  flatGrad_ = Tensor(shape);
  prevGrad_ = Tensor(shape);
  direction_ = Tensor(shape);
  // History slots get their storage when first filled: a model that converges in few
  // iterations never pays for historySize pairs.
  historyY_.resize(options_.historySize);
  historyS_.resize(options_.historySize);
  rho_.assign(options_.historySize, 0.0);
  alpha_.assign(options_.historySize, 0.0);
}

void LBFGS::updateHistory() {
  // s = t d, y = g - g_prev, as floats, then s.y and y.y in double.
  const float* g = flatGrad_.data();
  const float* gPrev = prevGrad_.data();
  const float* d = direction_.data();
  const float t = static_cast<float>(stepLength_);
  int64_t count = flatGrad_.numel();
  double ys = 0.0, yy = 0.0;
  for (int64_t i = 0; i < count; ++i) {
    float y = g[i] - gPrev[i];
    float s = d[i] * t;
    ys += static_cast<double>(y) * s;
    yy += static_cast<double>(y) * y;
  }
  if (!(ys > 1e-10)) return;  // not enough curvature: keep the old pairs
  int history = options_.historySize;
  int slot;
  if (historyCount_ == history) {
    slot = historyStart_;  // overwrite the oldest pair
    historyStart_ = (historyStart_ + 1) % history;
  } else {
    slot = (historyStart_ + historyCount_) % history;
    ++historyCount_;
  }
  if (!historyY_[slot].defined()) {
    historyY_[slot] = Tensor(flatGrad_.shape());
    historyS_[slot] = Tensor(flatGrad_.shape());
  }
  float* ySlot = historyY_[slot].data();
  float* sSlot = historyS_[slot].data();
  for (int64_t i = 0; i < count; ++i) {
    ySlot[i] = g[i] - gPrev[i];
    sSlot[i] = d[i] * t;
  }
  rho_[slot] = 1.0 / ys;
  hessianScale_ = ys / yy;
}

void LBFGS::computeDirection() {
  int history = options_.historySize;
  // q = -g; newest to oldest: alpha_i = rho_i s_i.q, q -= alpha_i y_i
  const float* g = flatGrad_.data();
  float* q = direction_.data();
  for (int64_t i = 0; i < flatGrad_.numel(); ++i) q[i] = -g[i];
  for (int k = historyCount_ - 1; k >= 0; --k) {
    int slot = (historyStart_ + k) % history;
    alpha_[slot] = dot(historyS_[slot], direction_) * rho_[slot];
    axpy(-alpha_[slot], historyY_[slot], direction_);
  }
  // r = H0 q; oldest to newest: beta_i = rho_i y_i.r, r += (alpha_i - beta_i) s_i
  float scale = static_cast<float>(hessianScale_);
  for (int64_t i = 0; i < direction_.numel(); ++i) q[i] *= scale;
  for (int k = 0; k < historyCount_; ++k) {
    int slot = (historyStart_ + k) % history;
    double beta = dot(historyY_[slot], direction_) * rho_[slot];
    axpy(alpha_[slot] - beta, historyS_[slot], direction_);
  }
}

float LBFGS::step(Tensor& params, Tensor& grads, const Closure& closure) {
  if (params.numel() != grads.numel())
    throw ShapeError("LBFGS: parameters " + params.shape().str() + " and gradients " + grads.shape().str() +
                     " differ in size");
  allocate(params.numel());
  const Options& o = options_;

  float startLoss = closure();
  double loss = startLoss;
  int evaluations = 1;
  ++functionEvaluations_;
  flatGrad_.copyFrom(grads);
  bool converged = maxAbs(flatGrad_) <= o.toleranceGrad;

  for (int iter = 1; !converged && iter <= o.maxIter; ++iter) {
    ++innerIterations_;
    if (innerIterations_ == 1) {
      const float* g = flatGrad_.data();
      float* d = direction_.data();
      for (int64_t i = 0; i < flatGrad_.numel(); ++i) d[i] = -g[i];
      historyCount_ = 0;
      historyStart_ = 0;
      hessianScale_ = 1;
    } else {
      updateHistory();
      computeDirection();
    }
    prevGrad_.copyFrom(flatGrad_);
    double prevLoss = loss;

    // The first iteration ever has no curvature information: keep its step within lr / |g|_1.
    stepLength_ = innerIterations_ == 1 ? std::min(1.0, 1.0 / sumAbs(flatGrad_)) * o.lr : o.lr;
    double slope = dot(flatGrad_, direction_);
    if (slope > -o.toleranceChange) break;  // not a descent direction

    int lineEvaluations = 0;
    if (o.lineSearch == LineSearch::StrongWolfe) {
      LineSearchResult r = lineSearch_.search(params, grads, closure, direction_, stepLength_, loss, flatGrad_, slope);
      loss = r.loss;
      stepLength_ = r.step;
      lineEvaluations = r.evaluations;
      converged = maxAbs(flatGrad_) <= o.toleranceGrad;
    } else {
      axpy(stepLength_, direction_, params);
      if (iter != o.maxIter) {  // the last iteration's point is evaluated by the next step()
        loss = closure();
        flatGrad_.copyFrom(grads);
        converged = maxAbs(flatGrad_) <= o.toleranceGrad;
        lineEvaluations = 1;
      }
    }
    evaluations += lineEvaluations;
    functionEvaluations_ += lineEvaluations;

    if (evaluations >= maxEval_) break;
    if (maxAbs(direction_) * std::abs(stepLength_) <= o.toleranceChange) break;
    if (std::abs(loss - prevLoss) < o.toleranceChange) break;
  }
  ++iteration_;
  return startLoss;
}

nlohmann::json LBFGS::config() const {
  return {{"name", name()},
          {"lr", options_.lr},
          {"maxIter", options_.maxIter},
          {"maxEval", maxEval_},
          {"toleranceGrad", options_.toleranceGrad},
          {"toleranceChange", options_.toleranceChange},
          {"historySize", options_.historySize},
          {"lineSearch", options_.lineSearch == LineSearch::StrongWolfe ? "strong_wolfe" : "none"}};
}

std::vector<Tensor*> LBFGS::stateTensors() {
  std::vector<Tensor*> state;
  if (!direction_.defined()) return state;
  state = {&direction_, &prevGrad_};
  for (size_t slot = 0; slot < historyY_.size(); ++slot)
    if (historyY_[slot].defined()) state.push_back(&historyY_[slot]);
  for (size_t slot = 0; slot < historyS_.size(); ++slot)
    if (historyS_[slot].defined()) state.push_back(&historyS_[slot]);
  return state;
}

}  // namespace shoal::optim
