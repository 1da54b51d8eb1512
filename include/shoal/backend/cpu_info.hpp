// What the CPU backend runs on: its thread count (settable), the oneDNN version and instruction set.
#pragma once
#include <string>

namespace shoal::backend {

// Threads the CPU backend uses (OpenMP; all cores unless OMP_NUM_THREADS says otherwise).
int threadCount();
// Overrides the thread count (the CLI's --threads); n <= 0 keeps the default.
void setThreadCount(int n);
// The oneDNN library version, "2.6.3".
std::string oneDnnVersion();
// The most capable instruction set oneDNN dispatches to on this machine, e.g. "avx512_core".
std::string instructionSet();

}  // namespace shoal::backend
