// Times the bare all-reduce of a gradient-sized float buffer across the ranks of a job and reports the bus bandwidth.
// A ring all-reduce of B bytes on p ranks moves 2 (p-1)/p B through each link. Open MPI's
// messages under mpirun (on hosts of the simulated cluster: tools/cluster/hosts mpirun); Gloo's
// when each rank is started with a rendezvous (SHOAL_RENDEZVOUS, SHOAL_WORLD_SIZE, SHOAL_RANK,
// SHOAL_JOB_SECRET; tools/cluster/hosts run I ...).
// usage: hosts mpirun bench_busbw [COUNT] [REPEATS]   (default: the MLP's 795010 floats, 50)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "shoal/dist/connect.hpp"

using namespace shoal;

int main(int argc, char** argv) {
  const long count = argc > 1 ? std::atol(argv[1]) : 795010;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 50;
  if (count <= 0 || repeats <= 0) {
    std::fprintf(stderr, "usage: bench_busbw [COUNT > 0] [REPEATS > 0] (on each rank of a job)\n");
    return 2;
  }
  dist::ConnectOptions options;  // Open MPI under mpirun, Gloo with a rendezvous
  options.timeoutSeconds = 60;
  options.sharedMemory = false;
  auto comm = dist::connect(options);
  const int ranks = comm->size();
  if (ranks < 2) {
    std::fprintf(stderr, "bench_busbw: run it on 2 or more ranks (under mpirun, or each with a rendezvous)\n");
    return 2;
  }
  std::vector<float> buffer(count);
  std::vector<double> seconds;
  for (int r = 0; r < repeats + 5; ++r) {  // 5 untimed rounds first
    std::fill(buffer.begin(), buffer.end(), 1.0f);
    comm->barrier();
    auto start = std::chrono::steady_clock::now();
    comm->allReduce(std::span<float>(buffer), dist::ReduceOp::Sum);
    if (r >= 5) seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  if (buffer[0] != static_cast<float>(ranks) || buffer[count - 1] != static_cast<float>(ranks)) {
    std::fprintf(stderr, "bench_busbw: wrong sums\n");
    return 1;
  }
  if (comm->rank() == 0) {
    std::sort(seconds.begin(), seconds.end());
    const double median = seconds[seconds.size() / 2];
    const double bytes = static_cast<double>(count) * sizeof(float);
    const double busGbits = 2.0 * (ranks - 1) / ranks * bytes * 8 / median / 1e9;
    std::printf("all-reduce of %ld floats (%.2f MB) on %d ranks: median %.3f ms (fastest %.3f), bus bandwidth %.2f Gbit/s\n",
                count, bytes / 1e6, ranks, median * 1e3, seconds.front() * 1e3, busGbits);
    std::printf("RESULT ranks=%d bytes=%.0f median_ms=%.3f bus_gbits=%.3f\n", ranks, bytes, median * 1e3, busGbits);
  }
  return 0;
}
