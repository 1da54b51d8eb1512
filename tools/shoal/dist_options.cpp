// The --dist flags, and ending a whole job on a rank's error.
#include "dist_options.hpp"

#include <cstdio>
#include <cstdlib>

#include "exit_code.hpp"
#include "flag_names.hpp"

namespace shoal::cli {

void addDistOptions(CLI::App& app, train::DistConfig& o) {
  app.add_option("--dist", o.strategy,
                 "Distributed strategy (under mpirun or --comm gloo): allreduce (gradients averaged every step), "
                 "average (local SGD, parameters averaged every K steps), lbfgs (full-batch L-BFGS "
                 "over all shards; also valid in one process)")
      ->check(CLI::IsMember({"allreduce", "average", "lbfgs"}))
      ->capture_default_str();
  app.add_option("--average-every", o.averageEvery,
                 "--dist average: steps between parameter averagings (default 10)")
      ->check(CLI::PositiveNumber);
  app.add_option("--shard", o.shard,
                 "How ranks split the data: contiguous blocks, strided (rank r takes every "
                 "size-th sample from r), or local (every rank trains on all the training data "
                 "it was given, as Spark's tasks do with their partitions; validation and test sets "
                 "are split in contiguous blocks; refused for a table, which the ranks split by "
                 "byte range)")
      ->check(CLI::IsMember({"contiguous", "strided", "local"}))
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
  app.add_option("--comm", o.comm,
                 "Communicator: auto (Open MPI under mpirun, Gloo when a rendezvous is given, else one "
                 "process), mpi, or gloo (TCP; started without mpirun, one process per rank)")
      ->check(CLI::IsMember({"auto", "mpi", "gloo"}))
      ->capture_default_str();
  app.add_option("--rendezvous", o.rendezvous,
                 "Gloo: where the ranks meet: HOST:PORT, an address of rank 0's machine that rank 0 "
                 "listens on, or file:DIR, a directory every rank sees (default: SHOAL_RENDEZVOUS, else "
                 "MASTER_ADDR:MASTER_PORT)");
  app.add_option("--world-size", o.worldSize,
                 "Gloo: number of ranks (default: SHOAL_WORLD_SIZE, else WORLD_SIZE, else mpirun's)")
      ->check(CLI::PositiveNumber);
  app.add_option("--rank", o.rank, "Gloo: this process's rank, 0 to world size - 1 (default: SHOAL_RANK, else RANK, "
                                   "else mpirun's)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--job-secret-file", o.jobSecretFile,
                 "Gloo: file whose first line is the job's secret, the same on every rank; the rendezvous "
                 "admits only ranks that prove they know it (default: the SHOAL_JOB_SECRET variable)");
  app.add_option("--compress", o.compress,
                 "--dist allreduce: how gradients travel: none (floats), bf16 (rounded to bf16, half "
                 "the bytes), threshold (DL4J's threshold encoding: only elements whose accumulated "
                 "magnitude reaches an adaptive threshold, as index and sign, one code per whole "
                 "threshold up to 8; the rest is kept and sent later; with --optim sgd --momentum, "
                 "the momentum is applied on each rank before encoding)")
      ->check(CLI::IsMember({"none", "bf16", "threshold"}))
      ->capture_default_str();
  app.add_option("--threshold-density", o.thresholdDensity,
                 "--compress threshold: target codes sent per gradient element and step, in (0, 1]")
      ->check(CLI::Range(0.0, 1.0))  // and not 0: RunConfig::check
      ->capture_default_str();
  app.add_option_function<std::string>(
         "--overlap", [&o](const std::string& v) { o.overlap = v == "on"; },
         "--dist allreduce: on reduces gradients in buckets on a communication thread while "
         "backward computes the earlier layers (default: off)")
      ->check(CLI::IsMember({"on", "off"}));
  app.add_option("--bucket-mb", o.bucketMb,
                 "Size of the gradient buckets (MB) that compression and overlap reduce at a time "
                 "(positive)")
      ->capture_default_str();
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
