// Distributed-training flags of `shoal train`, and ending a whole mpirun job on a rank's error.
#pragma once
#include <exception>

#include <CLI/CLI.hpp>

#include "shoal/dist/communicator.hpp"
#include "shoal/train/run_config.hpp"

namespace shoal::cli {

void addDistOptions(CLI::App& app, train::DistConfig& o);

// Prints "shoal: error: rank R: what" and ends every rank of the job with the error's exit code.
[[noreturn]] void abortJob(dist::Communicator& comm, const std::exception& error);

}  // namespace shoal::cli
