// Strong-Wolfe line search with cubic interpolation (Nocedal & Wright, algorithms 3.5 and 3.6), for L-BFGS.
#pragma once
#include "shoal/optim/optim_method.hpp"

namespace shoal::optim {

// The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clamped to
// [lo, hi]; the midpoint of [lo, hi] when the cubic has no minimiser.
double cubicMinimum(double x1, double f1, double g1, double x2, double f2, double g2, double lo, double hi);

struct LineSearchResult {
  double loss;      // f(x + step * d)
  double step;      // the accepted step length t
  int evaluations;  // closure calls made
};

// Searches phi(t) = f(x + t d) for a step satisfying the strong Wolfe conditions
//   phi(t) <= phi(0) + c1 t phi'(0)   and   |phi'(t)| <= c2 |phi'(0)|,
// first growing the step until a bracket is found, then zooming into it with safeguarded cubic
// interpolation (torch.optim.LBFGS's line_search_fn="strong_wolfe"). Buffers of the parameter
// count are allocated on the first search and reused.
class StrongWolfeLineSearch {
 public:
  struct Options {
    double c1 = 1e-4;               // sufficient decrease
    double c2 = 0.9;                // curvature
    double toleranceChange = 1e-9;  // stop when the bracket is this narrow (times max|d|)
    int maxIterations = 25;         // closure calls at most
  };

  StrongWolfeLineSearch() = default;
  explicit StrongWolfeLineSearch(Options o) : options_(o) {}

  // params holds x on entry and x + step * d on return; the closure fills `grads`. loss, grad and
  // slope describe x (slope = grad . d < 0); on return grad holds the gradient at the new point.
  LineSearchResult search(Tensor& params, Tensor& grads, const Closure& closure, const Tensor& d, double t,
                          double loss, Tensor& grad, double slope);

 private:
  // Sets params = x0 + t d, calls the closure; returns the loss and writes grads . d to slope.
  double evaluate(Tensor& params, Tensor& grads, const Closure& closure, const Tensor& d, double t, double& slope);

  Options options_;
  Tensor x0_;               // [params] the starting point
  Tensor previousGrad_;     // [params] gradient at the previous trial step
  Tensor bracketGrad_[2];   // [params] gradients at the two ends of the bracket
};

}  // namespace shoal::optim
