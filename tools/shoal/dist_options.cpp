// The --dist flags, checking them against the optimiser, and ending a whole job on a rank's error.
#include "dist_options.hpp"

#include <cstdio>
#include <cstdlib>

#include "exit_code.hpp"
#include "shoal/error.hpp"

namespace shoal::cli {

void addDistOptions(CLI::App& app, DistOptions& o) {
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
  app.add_option("--shared-memory", o.sharedMemory,
                 "When all ranks run on one machine: on sums gradients and small values in memory "
                 "the ranks share, off leaves every collective to Open MPI's messages")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
}

DistSetup setUpDistribution(const DistOptions& o, const std::string& optimName, bool minLossTrigger) {
  const dist::Strategy strategy = dist::parseStrategy(o.strategy);
  if (o.averageEvery > 0 && strategy != dist::Strategy::Average)
    throw UsageError("--average-every applies to --dist average");
  if (strategy == dist::Strategy::Lbfgs && optimName != "lbfgs")
    throw UsageError("--dist lbfgs runs full-batch L-BFGS: give --optim lbfgs");
  if (strategy == dist::Strategy::Average && optimName == "lbfgs")
    throw UsageError("--dist average needs SGD or Adam (L-BFGS histories cannot be averaged): "
                     "use --dist lbfgs or --dist allreduce with --optim lbfgs");
  if (strategy == dist::Strategy::Average && minLossTrigger)
    throw UsageError("--min-loss needs the same loss on every rank: use --dist allreduce or lbfgs "
                     "(with --dist average the ranks' losses differ between averagings)");
  DistSetup setup;
  setup.comm = dist::connect(o.commTimeout, o.sharedMemory == "on");
  setup.shard = {setup.comm->rank(), setup.comm->size(),
                 o.shard == "strided" ? data::Shard::Layout::Strided : data::Shard::Layout::Contiguous};
  if (setup.distributed() || strategy == dist::Strategy::Lbfgs)
    setup.sync = std::make_unique<dist::Synchronizer>(*setup.comm, strategy,
                                                      o.averageEvery > 0 ? o.averageEvery : 10);
  return setup;
}

void abortJob(dist::Communicator& comm, const std::exception& error) {
  const int code = exitCodeFor(error);
  std::fprintf(stderr, "shoal: error: rank %d: %s\n", comm.rank(), error.what());
  comm.abort(code);
  std::_Exit(code);  // abort does not return; this tells the compiler so
}

}  // namespace shoal::cli
