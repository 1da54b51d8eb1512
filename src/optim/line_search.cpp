// Strong-Wolfe line search: bracketing phase, zoom phase and safeguarded cubic interpolation.
#include "shoal/optim/line_search.hpp"

#include <algorithm>
#include <cmath>

#include "shoal/optim/vector_ops.hpp"

namespace shoal::optim {
namespace {

void ensureSize(Tensor& t, const Shape& shape) {
  if (!t.defined() || !(t.shape() == shape)) t.resize(shape);
}

}  // namespace

double cubicMinimum(double x1, double f1, double g1, double x2, double f2, double g2, double lo, double hi) {
  double d1 = g1 + g2 - 3.0 * (f1 - f2) / (x1 - x2);
  double d2Square = d1 * d1 - g1 * g2;
  if (d2Square >= 0) {
    double d2 = std::sqrt(d2Square);
    double minPos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2.0 * d2))
                             : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2.0 * d2));
    if (std::isfinite(minPos)) return std::min(std::max(minPos, lo), hi);
  }
  return (lo + hi) / 2.0;
}

double StrongWolfeLineSearch::evaluate(Tensor& params, Tensor& grads, const Closure& closure, const Tensor& d,
                                       double t, double& slope) {
  float step = static_cast<float>(t);
  float* p = params.data();
  const float* x = x0_.data();
  const float* dir = d.data();
  for (int64_t i = 0; i < params.numel(); ++i) p[i] = x[i] + step * dir[i];
  double loss = closure();
  slope = dot(grads, d);
  return loss;
}

LineSearchResult StrongWolfeLineSearch::search(Tensor& params, Tensor& grads, const Closure& closure,
                                               const Tensor& d, double t, double loss, Tensor& grad,
                                               double slope) {
  const Options& o = options_;
  Shape shape({params.numel()});
  ensureSize(x0_, shape);
  ensureSize(previousGrad_, shape);
  ensureSize(bracketGrad_[0], shape);
  ensureSize(bracketGrad_[1], shape);
  x0_.copyFrom(params);
  previousGrad_.copyFrom(grad);
  const double dNorm = maxAbs(d);
  auto sufficientDecrease = [&](double step, double f) { return f <= loss + o.c1 * step * slope; };
  auto curvature = [&](double s) { return std::abs(s) <= -o.c2 * slope; };

  double newSlope = 0;
  double newLoss = evaluate(params, grads, closure, d, t, newSlope);
  int evaluations = 1;

  // Bracketing: grow the step until [previous, t] must contain an acceptable step.
  double prevT = 0, prevLoss = loss, prevSlope = slope;
  double bracket[2] = {t, t}, bracketLoss[2] = {newLoss, newLoss}, bracketSlope[2] = {newSlope, newSlope};
  int bracketSize = 0;
  bool done = false;
  int iteration = 0;
  auto setBracket = [&](double t0, double f0, double s0, const Tensor& g0) {
    bracket[0] = t0, bracketLoss[0] = f0, bracketSlope[0] = s0;
    bracket[1] = t, bracketLoss[1] = newLoss, bracketSlope[1] = newSlope;
    bracketGrad_[0].copyFrom(g0);
    bracketGrad_[1].copyFrom(grads);
    bracketSize = 2;
  };
  while (iteration < o.maxIterations) {
    if (!sufficientDecrease(t, newLoss) || (iteration > 1 && newLoss >= prevLoss)) {
      setBracket(prevT, prevLoss, prevSlope, previousGrad_);
      break;
    }
    if (curvature(newSlope)) {
      bracket[0] = t, bracketLoss[0] = newLoss, bracketSlope[0] = newSlope;
      bracketGrad_[0].copyFrom(grads);
      bracketSize = 1;
      done = true;
      break;
    }
    if (newSlope >= 0) {
      setBracket(prevT, prevLoss, prevSlope, previousGrad_);
      break;
    }
    // Extrapolate: the cubic's minimiser, at least 1% beyond t and at most 10 t.
    double next = cubicMinimum(prevT, prevLoss, prevSlope, t, newLoss, newSlope, t + 0.01 * (t - prevT), t * 10);
    prevT = t, prevLoss = newLoss, prevSlope = newSlope;
    previousGrad_.copyFrom(grads);
    t = next;
    newLoss = evaluate(params, grads, closure, d, t, newSlope);
    ++evaluations;
    ++iteration;
  }
  if (iteration == o.maxIterations) {
    // No bracket within the budget: choose between the start and the last trial.
    setBracket(0.0, loss, slope, grad);
  }

  // Zoom: shrink the bracket [low, high] (low has the smaller loss) by cubic interpolation.
  int low = bracketLoss[0] <= bracketLoss[bracketSize - 1] ? 0 : 1;
  int high = 1 - low;
  bool insufficientProgress = false;
  auto narrow = [&] { return std::abs(bracket[1] - bracket[0]) * dNorm < o.toleranceChange; };
  while (!done && iteration < o.maxIterations) {
    if (narrow()) break;
    double lo = std::min(bracket[0], bracket[1]), hi = std::max(bracket[0], bracket[1]);
    t = cubicMinimum(bracket[0], bracketLoss[0], bracketSlope[0], bracket[1], bracketLoss[1], bracketSlope[1], lo, hi);
    // Keep the trial at least 10% of the bracket away from its ends, unless the last trial
    // already made good progress there.
    double margin = 0.1 * (hi - lo);
    if (std::min(hi - t, t - lo) < margin) {
      if (insufficientProgress || t >= hi || t <= lo) {
        t = std::abs(t - hi) < std::abs(t - lo) ? hi - margin : lo + margin;
        insufficientProgress = false;
      } else {
        insufficientProgress = true;
      }
    } else {
      insufficientProgress = false;
    }

    newLoss = evaluate(params, grads, closure, d, t, newSlope);
    ++evaluations;
    ++iteration;

    if (!sufficientDecrease(t, newLoss) || newLoss >= bracketLoss[low]) {
      bracket[high] = t, bracketLoss[high] = newLoss, bracketSlope[high] = newSlope;
      bracketGrad_[high].copyFrom(grads);
      low = bracketLoss[0] <= bracketLoss[1] ? 0 : 1;
      high = 1 - low;
    } else {
      if (curvature(newSlope)) {
        done = true;
      } else if (newSlope * (bracket[high] - bracket[low]) >= 0) {
        bracket[high] = bracket[low], bracketLoss[high] = bracketLoss[low], bracketSlope[high] = bracketSlope[low];
        bracketGrad_[high].copyFrom(bracketGrad_[low]);
      }
      bracket[low] = t, bracketLoss[low] = newLoss, bracketSlope[low] = newSlope;
      bracketGrad_[low].copyFrom(grads);
    }
    if (narrow()) break;
  }

  // Move to the accepted step.
  t = bracket[low];
  grad.copyFrom(bracketGrad_[low]);
  float step = static_cast<float>(t);
  float* p = params.data();
  const float* x = x0_.data();
  const float* dir = d.data();
  for (int64_t i = 0; i < params.numel(); ++i) p[i] = x[i] + step * dir[i];
  return {bracketLoss[low], t, evaluations};
}

}  // namespace shoal::optim
