// Distributed-training flags of `shoal train` and setting up a rank of an mpirun job.
#pragma once
#include <exception>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "shoal/data/shard.hpp"
#include "shoal/dist/communicator.hpp"
#include "shoal/dist/synchronizer.hpp"

namespace shoal::cli {

struct DistOptions {
  std::string strategy = "allreduce";
  int64_t averageEvery = 0;  // 0: not given (10 for --dist average)
  std::string shard = "contiguous";
  double commTimeout = 120;
  std::string sharedMemory = "on";
};

void addDistOptions(CLI::App& app, DistOptions& o);

// What a rank knows about the job it is part of.
struct DistSetup {
  std::unique_ptr<dist::Communicator> comm;
  std::unique_ptr<dist::Synchronizer> sync;  // null for a single-process mini-batch run
  data::Shard shard;
  bool distributed() const { return comm->size() > 1; }
};

// Connects to the other ranks (when launched by mpirun) and checks the flags against the
// optimiser and end trigger: an invalid combination is a UsageError.
DistSetup setUpDistribution(const DistOptions& o, const std::string& optimName, bool minLossTrigger);

// Prints "shoal: error: rank R: what" and ends every rank of the job with the error's exit code.
[[noreturn]] void abortJob(dist::Communicator& comm, const std::exception& error);

}  // namespace shoal::cli
