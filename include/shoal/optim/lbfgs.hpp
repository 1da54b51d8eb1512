// LBFGS: limited-memory BFGS over the flat parameter buffer, closure-based like torch.optim.LBFGS.
#pragma once
#include <string>
#include <vector>

#include "shoal/optim/line_search.hpp"
#include "shoal/optim/optim_method.hpp"

namespace shoal::optim {

// One step() runs up to maxIter quasi-Newton iterations, calling the closure as often as they
// and the line search need (at most about maxEval times). The direction comes from the
// two-loop recursion over the last historySize curvature pairs (s, y) (Nocedal & Wright,
// algorithm 7.4), scaled by s.y / y.y of the newest pair. Without a line search, the first
// iteration ever steps lr * min(1, 1 / |g|_1) and later ones lr; with StrongWolfe the step comes
// from StrongWolfeLineSearch starting at that length. Stops early when max|g| <= toleranceGrad,
// or the step or the change of the loss falls below toleranceChange. Direction, history and
// step length persist across step() calls, as in torch.
class LBFGS : public OptimMethod {
 public:
  enum class LineSearch { None, StrongWolfe };
  struct Options {
    double lr = 1;
    int maxIter = 20;
    int maxEval = 0;  // 0: maxIter * 5 / 4
    double toleranceGrad = 1e-7;
    double toleranceChange = 1e-9;
    int historySize = 100;
    LineSearch lineSearch = LineSearch::None;
  };

  // Throws UsageError for a non-positive rate, iteration count or history size.
  explicit LBFGS(Options o);

  float step(Tensor& params, Tensor& grads, const Closure& closure) override;
  std::string name() const override { return "LBFGS"; }
  double currentLearningRate() const override { return options_.lr; }
  nlohmann::json config() const override;
  // Adds the counters, the last direction and step length, the previous gradient, the Hessian
  // scale and the curvature pairs with their 1 / s.y, oldest first ("history_s.<k>",
  // "history_y.<k>"). The current gradient is not state: each step() recomputes it first.
  OptimState saveState() const override;
  // Also throws InputError when the state holds more curvature pairs than historySize.
  void restoreState(const OptimState& state) override;
  const Options& options() const { return options_; }
  // Closure calls over all steps so far (torch's state["func_evals"]).
  int64_t functionEvaluations() const { return functionEvaluations_; }
  // Quasi-Newton iterations over all steps so far (torch's state["n_iter"]).
  int64_t innerIterations() const { return innerIterations_; }

 private:
  void allocate(int64_t count);
  // Adds the pair s = t d, y = flatGrad - prevGrad when s.y > 1e-10 (dropping the oldest when full).
  void updateHistory();
  // direction = -H flatGrad by the two-loop recursion.
  void computeDirection();

  Options options_;
  int maxEval_;
  StrongWolfeLineSearch lineSearch_;
  Tensor flatGrad_;   // [params] gradient at the current point
  Tensor prevGrad_;   // [params] gradient at the previous point
  Tensor direction_;  // [params] d
  double stepLength_ = 0;  // t of the last iteration
  double hessianScale_ = 1;  // s.y / y.y of the newest pair
  std::vector<Tensor> historyY_, historyS_;  // ring buffers of historySize slots, [params] each
  std::vector<double> rho_, alpha_;          // 1 / s.y per slot; two-loop coefficients
  int historyStart_ = 0, historyCount_ = 0;
  int64_t innerIterations_ = 0;
  int64_t functionEvaluations_ = 0;
};

}  // namespace shoal::optim
