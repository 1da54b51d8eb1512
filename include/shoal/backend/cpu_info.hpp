// What the CPU backend runs on: its thread count (settable), the oneDNN version and instruction set.
#pragma once
#include <string>

namespace shoal::backend {

// Threads the CPU backend uses (OpenMP; all cores unless OMP_NUM_THREADS says otherwise).
int threadCount();
// The cores this process may run on: its CPU affinity (taskset, a container's or a launcher's
// cpuset, mpirun's binding), not every core of the machine.
int usableCores();
// Overrides the thread count (the CLI's --threads); n <= 0 keeps the default.
void setThreadCount(int n);
// The oneDNN library version, "2.6.3".
std::string oneDnnVersion();
// The most capable instruction set oneDNN dispatches to on this machine, e.g. "avx512_core"
// (lowered by ONEDNN_MAX_CPU_ISA).
std::string instructionSet();

// How oneDNN runs bf16 products here: on bf16 instructions (AMX-bf16 tiles or AVX512-BF16),
// emulated with AVX-512 (correct, no faster than f32), or not at all (no AVX-512).
enum class Bf16Support { Native, Emulated, None };
Bf16Support bf16Support();
// "AMX-bf16 (avx512_core_amx)", "AVX512-BF16 (avx512_core_bf16)", "emulated on avx512_core",
// "none (avx2)".
std::string bf16SupportDescription();

}  // namespace shoal::backend
