// The CPU backend's threads (OpenMP) and what oneDNN reports about itself and the machine.
#include "shoal/backend/cpu_info.hpp"

#include <omp.h>
#include <sched.h>

#include <algorithm>
#include <thread>

#include <oneapi/dnnl/dnnl.hpp>

namespace shoal::backend {

int threadCount() { return omp_get_max_threads(); }

int usableCores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return CPU_COUNT(&set);
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

void setThreadCount(int n) {
  if (n > 0) omp_set_num_threads(n);
}

std::string oneDnnVersion() {
  const dnnl_version_t* v = dnnl_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
}

std::string instructionSet() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}

Bf16Support bf16Support() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::avx512_core_bf16:
    case dnnl::cpu_isa::avx512_core_amx: return Bf16Support::Native;
    case dnnl::cpu_isa::avx512_core:
    case dnnl::cpu_isa::avx512_core_vnni: return Bf16Support::Emulated;
    default: return Bf16Support::None;
  }
}

std::string bf16SupportDescription() {
  const std::string isa = instructionSet();
  switch (bf16Support()) {
    case Bf16Support::Native:
      return (dnnl::get_effective_cpu_isa() == dnnl::cpu_isa::avx512_core_amx ? "AMX-bf16 ("
                                                                              : "AVX512-BF16 (") +
             isa + ")";
    case Bf16Support::Emulated: return "emulated on " + isa;
    case Bf16Support::None: break;
  }
  return "none (" + isa + ")";
}

}  // namespace shoal::backend
