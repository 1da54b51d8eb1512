// The optimiser flags of `shoal train`.
#include "optim_options.hpp"

namespace shoal::cli {

void addOptimOptions(CLI::App& app, train::OptimConfig& o) {
  app.add_option("--optim", o.method, "Optimisation method: sgd, adam or lbfgs")
      ->check(CLI::IsMember({"sgd", "adam", "lbfgs"}))
      ->capture_default_str();
  app.add_option("--lr", o.lr, "Learning rate (default: sgd 0.01, adam 0.001, lbfgs 1)")
      ->check(CLI::PositiveNumber);
  app.add_option("--momentum", o.momentum, "SGD momentum")->capture_default_str()->check(CLI::Range(0.0, 1.0));
  app.add_option("--dampening", o.dampening, "SGD momentum dampening")->capture_default_str()->check(CLI::Range(0.0, 1.0));
  app.add_flag("--nesterov", o.nesterov, "SGD with Nesterov momentum");
  app.add_option("--weight-decay", o.weightDecay, "L2 weight decay (sgd, adam)")->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--beta1", o.beta1, "Adam's decay of the gradient's running mean")->capture_default_str();
  app.add_option("--beta2", o.beta2, "Adam's decay of the squared gradient's running mean")->capture_default_str();
  app.add_option("--epsilon", o.epsilon, "Adam's term added to the denominator")->capture_default_str();
  app.add_option("--lr-schedule", o.schedule,
                 "Learning-rate schedule: none, step:EPOCHS:GAMMA, exp:ITERATIONS:RATE, "
                 "poly:POWER:MAX_ITERATIONS")
      ->capture_default_str();
  app.add_option("--warmup", o.warmup, "Linear learning-rate warm-up over N iterations")->check(CLI::NonNegativeNumber);
  app.add_option("--lbfgs-iterations", o.lbfgsIterations, "L-BFGS iterations per batch")
      ->capture_default_str()->check(CLI::PositiveNumber);
  app.add_flag("--line-search", o.lineSearch, "L-BFGS with a strong-Wolfe line search");
}

}  // namespace shoal::cli
