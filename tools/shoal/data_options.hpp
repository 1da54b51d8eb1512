// Data flags shared by train, eval and predict, bound to the run configuration's data settings.
#pragma once
#include <CLI/CLI.hpp>

#include "shoal/train/run_config.hpp"

namespace shoal::cli {

// Adds the data flags; `training` adds the train-set and CSV-preprocessing flags, otherwise
// --data-csv names the set to run on ("data.test_csv").
void addDataOptions(CLI::App& app, train::DataConfig& o, bool training);

}  // namespace shoal::cli
