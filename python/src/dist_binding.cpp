// The process's communicator for Python: one per process, connected by shoal.init or on first use
// (mpirun's job, Gloo through a rendezvous, or a single process).
#include <optional>

#include "bindings.hpp"
#include "shoal/dist/communicator.hpp"
#include "shoal/dist/connect.hpp"

namespace shoal::python {
namespace {

std::shared_ptr<dist::Communicator>& held() {
  static std::shared_ptr<dist::Communicator> comm;
  return comm;
}

// Which job the held connection belongs to: a call of init for another job (a new rendezvous,
// rank or attempt: Spark reuses its Python workers from job to job) connects anew.
std::string& heldJob() {
  static std::string job;
  return job;
}

std::string jobOf(const dist::ConnectOptions& resolved) {
  return resolved.comm + "|" + resolved.rendezvous + "|" + std::to_string(resolved.worldSize) + "|" +
         std::to_string(resolved.rank) + "|" + resolved.attempt;
}

void connectHeld(const dist::ConnectOptions& options) {
  const std::string job = jobOf(dist::resolveFromEnvironment(options));
  if (held() && heldJob() == job) return;
  py::gil_scoped_release release;
  held().reset();  // the earlier job's connections close first
  held() = dist::connect(options);
  heldJob() = job;
}

}  // namespace

std::shared_ptr<dist::Communicator> processCommunicator() {
  if (!held()) {
    dist::ConnectOptions options;  // everything from the environment
    options.timeoutName = "timeout";
    connectHeld(options);
  }
  return held();
}

void bindDist(py::module_& m) {
  m.def("init",
        [](double timeout, bool sharedMemory, const std::string& comm, const std::optional<std::string>& rendezvous,
           std::optional<int> worldSize, std::optional<int> rank, const std::optional<std::string>& jobSecret) {
          dist::ConnectOptions options;
          options.comm = comm;
          options.timeoutSeconds = timeout;
          options.sharedMemory = sharedMemory;
          options.timeoutName = "timeout";
          options.rendezvous = rendezvous.value_or("");
          options.worldSize = worldSize.value_or(0);
          options.rank = rank.value_or(-1);
          options.jobSecret = jobSecret.value_or("");
          connectHeld(options);
          return py::make_tuple(held()->rank(), held()->size());
        },
        py::arg("timeout") = 120.0, py::arg("shared_memory") = true, py::arg("comm") = "auto",
        py::arg("rendezvous") = py::none(), py::arg("world_size") = py::none(), py::arg("rank") = py::none(),
        py::arg("job_secret") = py::none(),
        "Connects to the job's other ranks: mpirun's, or Gloo's through a rendezvous, else a single "
        "process; (rank, size). Later calls for the same job return the same connection; a call for "
        "another job (rendezvous, world size, rank or attempt) closes it and connects anew.");
  m.def("launched_by_mpirun", &dist::launchedByMpirun);
  m.def("rank", [] { return processCommunicator()->rank(); });
  m.def("world_size", [] { return processCommunicator()->size(); });
  m.def("barrier", [] {
    auto comm = processCommunicator();
    py::gil_scoped_release release;
    comm->barrier();
  });
  m.def("shutdown", [] {
          held().reset();
          heldJob().clear();
        },
        "Lets go of the communicator (MPI is finalised when shoal initialised it; Gloo's connections "
        "close); at exit.");
}

}  // namespace shoal::python
