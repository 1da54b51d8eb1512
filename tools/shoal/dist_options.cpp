// The --dist flags, and ending a whole job on a rank's error.
#include "dist_options.hpp"

#include <cstdio>
#include <cstdlib>

#include "exit_code.hpp"
#include "flag_names.hpp"

namespace shoal::cli {

void addDistOptions(CLI::App& app, train::DistConfig& o) {
  app.add_option("--dist", o.strategy,
                 "Distributed strategy under mpirun: allreduce (gradients averaged every step), "
                 "average (local SGD, parameters averaged every K steps), lbfgs (full-batch L-BFGS "
                 "over all shards; also valid in one process)")
      ->check(CLI::IsMember({"allreduce", "average", "lbfgs"}))
      ->capture_default_str();
  app.add_option("--average-every", o.averageEvery,
                 "--dist average: steps between parameter averagings (default 10)")
      ->check(CLI::PositiveNumber);
  app.add_option("--shard", o.shard,
                 "How ranks split the data: contiguous blocks or strided (rank r takes every "
                 "size-th sample from r)")
      ->check(CLI::IsMember({"contiguous", "strided"}))
      ->capture_default_str();
  app.add_option("--comm-timeout", o.commTimeout,
                 "Seconds a collective may wait for the other ranks before the job ends naming "
                 "the missing ones (0: forever)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option_function<std::string>(
         "--shared-memory", [&o](const std::string& v) { o.sharedMemory = v == "on"; },
         "When all ranks run on one machine: on sums gradients and small values in memory "
         "the ranks share, off leaves every collective to Open MPI's messages (default: on)")
      ->check(CLI::IsMember({"on", "off"}));
  app.add_option("--hierarchical", o.hierarchical,
                 "Ranks on several hosts: sum gradients within each host in shared memory, then "
                 "between one leader per host (auto: when some host runs more than one rank)")
      ->check(CLI::IsMember({"auto", "on", "off"}))
      ->capture_default_str();
}

void abortJob(dist::Communicator& comm, const std::exception& error) {
  const int code = exitCodeFor(error);
  std::fprintf(stderr, "shoal: error: rank %d: %s\n", comm.rank(), errorMessage(error).c_str());
  comm.abort(code);
  std::_Exit(code);  // abort does not return; this tells the compiler so
}

}  // namespace shoal::cli
