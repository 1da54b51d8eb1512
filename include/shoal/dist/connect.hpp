// Choosing and connecting a job's communicator: Open MPI under mpirun, Gloo through an
// authenticated rendezvous (started without mpirun, torchrun-style), or a single process.
#pragma once
#include <memory>
#include <string>

#include "shoal/dist/communicator.hpp"

namespace shoal::dist {

struct ConnectOptions {
  std::string comm = "auto";  // auto (mpi under mpirun, gloo with a rendezvous, else one process), mpi, gloo
  double timeoutSeconds = 120;  // bounds every collective and the rendezvous (0: forever)
  // Open MPI: reduce through shared memory when all ranks share a machine; both communicators:
  // allow the hierarchical route across machines
  bool sharedMemory = true;
  Hierarchy hierarchy = Hierarchy::Auto;  // across machines: per machine first (see Hierarchy)
  std::string timeoutName = "\"dist.comm_timeout\"";  // what messages call the timeout setting
  // Gloo: "HOST:PORT" (rank 0 hosts the store there) or "file:DIR" (a directory every rank sees);
  // empty: SHOAL_RENDEZVOUS, else MASTER_ADDR:MASTER_PORT.
  std::string rendezvous;
  int worldSize = 0;  // 0: SHOAL_WORLD_SIZE, else WORLD_SIZE, else mpirun's
  int rank = -1;      // -1: SHOAL_RANK, else RANK, else mpirun's
  std::string jobSecret;      // empty: read from jobSecretFile, else SHOAL_JOB_SECRET
  std::string jobSecretFile;  // its first line is the secret
  std::string attempt;        // empty: SHOAL_ATTEMPT, else "0"; each attempt has its own keys
  // Text every rank must agree on (the run configuration's JSON); the handshake carries its hash.
  std::string configuration;
};

// Options with what was not given taken from the environment (the names above); ConfigError
// naming the setting (or the variable) when a value is missing or malformed.
ConnectOptions resolveFromEnvironment(ConnectOptions options);
// The communicator `options` ask for (resolved from the environment first).
std::unique_ptr<Communicator> connect(const ConnectOptions& options);
// Gloo over TCP after the rendezvous; options already resolved. UsageError when the rendezvous
// refuses this rank, shoal::Error when ranks do not join within the timeout (naming them).
std::unique_ptr<Communicator> connectGloo(const ConnectOptions& options);

}  // namespace shoal::dist
