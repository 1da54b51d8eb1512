// The process-wide oneDNN CPU engine and stream that every CPU primitive runs on.
#pragma once
#include <string>

#include <oneapi/dnnl/dnnl.hpp>

namespace shoal::backend::cpu {

dnnl::engine& engine();
dnnl::stream& stream();

// Threads oneDNN uses (OpenMP; all cores unless OMP_NUM_THREADS says otherwise).
int threadCount();
// Overrides the thread count (the CLI's --threads); n <= 0 keeps the default.
void setThreadCount(int n);
// oneDNN's library version, "2.6.3".
std::string dnnlVersion();
// The most capable instruction set oneDNN dispatches to on this machine, e.g. "avx512_core".
std::string instructionSet();

}  // namespace shoal::backend::cpu
