// The CPU backend: oneDNN primitives and shoal's own kernels behind the Backend interface.
#pragma once
#include "shoal/backend/backend.hpp"

namespace shoal::backend::cpu {

// The process-wide CPU backend.
const Backend& cpuBackend();

}  // namespace shoal::backend::cpu
