// The process's communicator for Python: one per process, connected on first use (mpirun's job, or a single process).
#include "bindings.hpp"
#include "shoal/dist/communicator.hpp"

namespace shoal::python {
namespace {

std::shared_ptr<dist::Communicator>& held() {
  static std::shared_ptr<dist::Communicator> comm;
  return comm;
}

}  // namespace

std::shared_ptr<dist::Communicator> processCommunicator() {
  if (!held()) held() = dist::connect(120, true, "comm_timeout");
  return held();
}

void bindDist(py::module_& m) {
  m.def("init",
        [](double timeout, bool sharedMemory) {
          if (!held()) {
            py::gil_scoped_release release;
            held() = dist::connect(timeout, sharedMemory, "comm_timeout");
          }
          return py::make_tuple(held()->rank(), held()->size());
        },
        py::arg("timeout") = 120.0, py::arg("shared_memory") = true,
        "Connects to the job's other ranks when started by mpirun (else a single process); "
        "(rank, size). Later calls return the same connection.");
  m.def("launched_by_mpirun", &dist::launchedByMpirun);
  m.def("rank", [] { return processCommunicator()->rank(); });
  m.def("world_size", [] { return processCommunicator()->size(); });
  m.def("barrier", [] {
    auto comm = processCommunicator();
    py::gil_scoped_release release;
    comm->barrier();
  });
  m.def("shutdown", [] { held().reset(); },
        "Lets go of the communicator (MPI is finalised when shoal initialised it); at exit.");
}

}  // namespace shoal::python
