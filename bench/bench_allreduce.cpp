// Times one all-reduce of a gradient-sized float buffer through shared memory and through Open MPI's
// messages, alternated in one run, on the ranks of one machine.
// usage: mpirun -np 2 bench_allreduce [COUNT] [REPEATS]   (default: the MLP's 795010 floats, 400)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "shoal/dist/communicator.hpp"

using namespace shoal;

namespace {

double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const long count = argc > 1 ? std::atol(argv[1]) : 795010;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 400;
  if (count <= 0 || repeats <= 0) {
    std::fprintf(stderr, "usage: mpirun -np N bench_allreduce [COUNT > 0] [REPEATS > 0]\n");
    return 2;
  }
  auto shared = dist::connect(/*timeoutSeconds=*/60, /*sharedMemory=*/true);
  auto messages = dist::connect(/*timeoutSeconds=*/60, /*sharedMemory=*/false);
  float* memory = shared->reducibleMemory(count);
  if (shared->size() < 2 || !memory) {
    std::fprintf(stderr, "bench_allreduce: run it under mpirun with 2 or more ranks on one machine\n");
    return 2;
  }
  std::vector<float> buffer(count);
  std::span<float> viaShared(memory, count), viaMessages(buffer);
  std::vector<double> sharedMs, messageMs;
  for (int r = 0; r < repeats + 10; ++r) {  // 10 untimed rounds first
    std::fill(viaShared.begin(), viaShared.end(), 1.0f);
    std::fill(viaMessages.begin(), viaMessages.end(), 1.0f);
    messages->barrier();
    auto start = std::chrono::steady_clock::now();
    shared->allReduce(viaShared, dist::ReduceOp::Sum);
    if (r >= 10) sharedMs.push_back(msSince(start));
    messages->barrier();
    start = std::chrono::steady_clock::now();
    messages->allReduce(viaMessages, dist::ReduceOp::Sum);
    if (r >= 10) messageMs.push_back(msSince(start));
  }
  if (viaShared[count - 1] != static_cast<float>(shared->size()) || viaShared[0] != viaMessages[0]) {
    std::fprintf(stderr, "bench_allreduce: wrong sums\n");
    return 1;
  }
  if (shared->rank() == 0) {
    const double mb = count * sizeof(float) / 1e6;
    std::printf("all-reduce of %ld floats (%.2f MB) on %d ranks, %d repeats, median (fastest) ms\n",
                count, mb, shared->size(), repeats);
    std::printf("  shared memory      %7.3f (%7.3f)\n", median(sharedMs),
                *std::min_element(sharedMs.begin(), sharedMs.end()));
    std::printf("  Open MPI messages  %7.3f (%7.3f)\n", median(messageMs),
                *std::min_element(messageMs.begin(), messageMs.end()));
    std::printf("RESULT shared_ms=%.3f messages_ms=%.3f ratio=%.2f\n", median(sharedMs),
                median(messageMs), median(messageMs) / median(sharedMs));
  }
  return 0;
}
