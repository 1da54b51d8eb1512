// Optimiser flags (--optim, --lr, --momentum, schedules) and the OptimMethod they describe.
#pragma once
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "shoal/optim/optim_method.hpp"

namespace shoal::cli {

struct OptimOptions {
  std::string optim = "sgd";
  std::optional<double> lr;  // default per method: sgd 0.01, adam 0.001, lbfgs 1
  double momentum = 0;
  double dampening = 0;
  bool nesterov = false;
  double weightDecay = 0;
  std::string schedule = "none";
  int64_t warmup = 0;
  int lbfgsIterations = 20;
  bool lineSearch = false;
};

void addOptimOptions(CLI::App& app, OptimOptions& o);
// Throws UsageError for a malformed schedule or a flag that does not apply to the method.
std::shared_ptr<optim::OptimMethod> makeOptimMethod(const OptimOptions& o);

}  // namespace shoal::cli
