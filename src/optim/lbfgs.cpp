// L-BFGS iterations: curvature history, two-loop recursion, fixed or strong-Wolfe steps, stopping tests.
#include "shoal/optim/lbfgs.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "shoal/error.hpp"
#include "shoal/optim/vector_ops.hpp"

namespace shoal::optim {
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

OptimState LBFGS::saveState() const {
  OptimState state = OptimMethod::saveState();
  state.scalars["inner_iterations"] = innerIterations_;
  state.scalars["function_evaluations"] = functionEvaluations_;
  state.scalars["allocated"] = flatGrad_.defined();
  if (!flatGrad_.defined()) return state;
  std::vector<double> rho;
  state.scalars["parameters"] = flatGrad_.numel();
  state.scalars["step_length"] = stepLength_;
  state.scalars["hessian_scale"] = hessianScale_;
  state.scalars["history_count"] = historyCount_;
  state.tensors.emplace_back("direction", direction_.clone());
  state.tensors.emplace_back("previous_gradient", prevGrad_.clone());
  for (int k = 0; k < historyCount_; ++k) {
    int slot = (historyStart_ + k) % options_.historySize;
    state.tensors.emplace_back("history_s." + std::to_string(k), historyS_[slot].clone());
    state.tensors.emplace_back("history_y." + std::to_string(k), historyY_[slot].clone());
    rho.push_back(rho_[slot]);
  }
  state.scalars["rho"] = rho;
  return state;
}

void LBFGS::restoreState(const OptimState& state) {
  OptimMethod::restoreState(state);
  auto innerIterations = stateScalar<int64_t>(state, "inner_iterations");
  auto functionEvaluations = stateScalar<int64_t>(state, "function_evaluations");
  if (!stateScalar<bool>(state, "allocated")) {
    flatGrad_ = prevGrad_ = direction_ = Tensor();
    historyY_.clear();
    historyS_.clear();
    rho_.clear();
    alpha_.clear();
    stepLength_ = 0;
    hessianScale_ = 1;
    historyStart_ = historyCount_ = 0;
    innerIterations_ = innerIterations;
    functionEvaluations_ = functionEvaluations;
    return;
  }
  auto count = stateScalar<int64_t>(state, "parameters");
  auto historyCount = stateScalar<int>(state, "history_count");
  auto rho = stateScalar<std::vector<double>>(state, "rho");
  auto stepLength = stateScalar<double>(state, "step_length");
  auto hessianScale = stateScalar<double>(state, "hessian_scale");
  if (historyCount < 0 || historyCount > options_.historySize || rho.size() != static_cast<size_t>(historyCount))
    throw InputError("optimiser state: LBFGS holds " + std::to_string(historyCount) + " curvature pairs (" +
                     std::to_string(rho.size()) + " coefficients) but keeps at most historySize " +
                     std::to_string(options_.historySize));
  // Check every tensor before replacing any state.
  Tensor direction = stateTensor(state, "direction", count).clone();
  Tensor prevGrad = stateTensor(state, "previous_gradient", count).clone();
  std::vector<Tensor> historyS(options_.historySize), historyY(options_.historySize);
  for (int k = 0; k < historyCount; ++k) {
    historyS[k] = stateTensor(state, "history_s." + std::to_string(k), count).clone();
    historyY[k] = stateTensor(state, "history_y." + std::to_string(k), count).clone();
  }
  flatGrad_ = Tensor(Shape({count}));
  prevGrad_ = std::move(prevGrad);
  direction_ = std::move(direction);
  historyS_ = std::move(historyS);
  historyY_ = std::move(historyY);
  rho_.assign(options_.historySize, 0.0);
  std::copy(rho.begin(), rho.end(), rho_.begin());
  alpha_.assign(options_.historySize, 0.0);
  historyStart_ = 0;  // the pairs come oldest first
  historyCount_ = historyCount;
  stepLength_ = stepLength;
  hessianScale_ = hessianScale;
  innerIterations_ = innerIterations;
  functionEvaluations_ = functionEvaluations;
}

}  // namespace shoal::optim
