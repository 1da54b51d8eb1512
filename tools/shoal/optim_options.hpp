// Optimiser flags (--optim, --lr, --momentum, schedules), bound to the run configuration's optim settings.
#pragma once
#include <CLI/CLI.hpp>

#include "shoal/train/run_config.hpp"

namespace shoal::cli {

void addOptimOptions(CLI::App& app, train::OptimConfig& o);

}  // namespace shoal::cli
