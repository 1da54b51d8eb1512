// The choice of backend: the CPU one, the only one built so far.
#include "shoal/backend/backend.hpp"

#include "cpu/cpu_backend.hpp"

namespace shoal::backend {

const Backend& current() { return cpu::cpuBackend(); }

}  // namespace shoal::backend
