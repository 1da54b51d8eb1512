// Times one all-reduce of a gradient-sized float buffer through shared memory, through Open MPI's
// messages and (when SHOAL_RENDEZVOUS and SHOAL_JOB_SECRET are set) through Gloo's TCP transport,
// alternated in one run, on the ranks of one machine. (Whether Gloo busy-polls while it waits:
// bench/gloo_wait_cpu.py, in processes without MPI, whose own threads would count here.)
// usage: mpirun -np 2 bench_allreduce [COUNT] [REPEATS]   (default: the MLP's 795010 floats, 400)
//        SHOAL_RENDEZVOUS=127.0.0.1:29500 SHOAL_JOB_SECRET=x mpirun -np 2 bench_allreduce
// Gloo alone, in processes without MPI (no MPI thread polls beside it), one command per rank:
//        SHOAL_RENDEZVOUS=127.0.0.1:29500 SHOAL_JOB_SECRET=x SHOAL_WORLD_SIZE=2 SHOAL_RANK=R bench_allreduce 16 2000
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "shoal/dist/communicator.hpp"
#include "shoal/dist/connect.hpp"

using namespace shoal;

namespace {

double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// Milliseconds of each timed all-reduce through one communicator.
struct Timings {
  std::vector<double> wall;
  void time(dist::Communicator& comm, std::span<float> data, bool keep) {
    const auto start = std::chrono::steady_clock::now();
    comm.allReduce(data, dist::ReduceOp::Sum);
    if (keep) wall.push_back(msSince(start));
  }
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Gloo's all-reduce alone, ranks started without mpirun (rank, size and rendezvous from the
// environment), a Gloo barrier before each timed round.
int glooAlone(long count, int repeats) {
  dist::ConnectOptions options;
  options.comm = "gloo";
  options.timeoutSeconds = 60;
  auto gloo = dist::connect(options);
  std::vector<float> buffer(count);
  Timings t;
  for (int r = 0; r < repeats + 10; ++r) {  // 10 untimed rounds first
    std::fill(buffer.begin(), buffer.end(), 1.0f);
    gloo->barrier();
    t.time(*gloo, buffer, r >= 10);
  }
  if (buffer[count - 1] != static_cast<float>(gloo->size())) {
    std::fprintf(stderr, "bench_allreduce: wrong sums\n");
    return 1;
  }
  if (gloo->rank() == 0)
    std::printf("all-reduce of %ld floats on %d Gloo ranks, %d repeats: median %.3f ms (fastest %.3f)\n"
                "RESULT gloo_alone_ms=%.3f\n",
                count, gloo->size(), repeats, median(t.wall), *std::min_element(t.wall.begin(), t.wall.end()),
                median(t.wall));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const long count = argc > 1 ? std::atol(argv[1]) : 795010;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 400;
  if (count <= 0 || repeats <= 0) {
    std::fprintf(stderr, "usage: mpirun -np N bench_allreduce [COUNT > 0] [REPEATS > 0]\n");
    return 2;
  }
  if (!dist::launchedByMpirun() && std::getenv("SHOAL_RENDEZVOUS")) return glooAlone(count, repeats);
  auto shared = dist::connect(/*timeoutSeconds=*/60, /*sharedMemory=*/true);
  auto messages = dist::connect(/*timeoutSeconds=*/60, /*sharedMemory=*/false);
  float* memory = shared->reducibleMemory(count);
  if (shared->size() < 2 || !memory) {
    std::fprintf(stderr, "bench_allreduce: run it under mpirun with 2 or more ranks on one machine\n");
    return 2;
  }
  std::unique_ptr<dist::Communicator> gloo;
  if (std::getenv("SHOAL_RENDEZVOUS")) {
    dist::ConnectOptions options;
    options.comm = "gloo";
    options.timeoutSeconds = 60;
    gloo = dist::connect(options);  // rank and size from mpirun's environment
  }
  std::vector<float> buffer(count), glooBuffer(count);
  std::span<float> viaShared(memory, count), viaMessages(buffer), viaGloo(glooBuffer);
  Timings sharedT, messageT, glooT;
  for (int r = 0; r < repeats + 10; ++r) {  // 10 untimed rounds first
    std::fill(viaShared.begin(), viaShared.end(), 1.0f);
    std::fill(viaMessages.begin(), viaMessages.end(), 1.0f);
    std::fill(viaGloo.begin(), viaGloo.end(), 1.0f);
    messages->barrier();
    sharedT.time(*shared, viaShared, r >= 10);
    messages->barrier();
    messageT.time(*messages, viaMessages, r >= 10);
    if (!gloo) continue;
    messages->barrier();
    glooT.time(*gloo, viaGloo, r >= 10);
  }
  if (viaShared[count - 1] != static_cast<float>(shared->size()) || viaShared[0] != viaMessages[0] ||
      (gloo && viaGloo[count - 1] != viaShared[count - 1])) {
    std::fprintf(stderr, "bench_allreduce: wrong sums\n");
    return 1;
  }
  if (shared->rank() == 0) {
    const double mb = count * sizeof(float) / 1e6;
    std::printf("all-reduce of %ld floats (%.2f MB) on %d ranks, %d repeats, median (fastest) ms\n", count, mb,
                shared->size(), repeats);
    auto line = [](const char* name, const Timings& t) {
      std::printf("  %-18s %7.3f (%7.3f)\n", name, median(t.wall), *std::min_element(t.wall.begin(), t.wall.end()));
    };
    line("shared memory", sharedT);
    line("Open MPI messages", messageT);
    if (gloo) line("Gloo (TCP)", glooT);
    std::printf("RESULT shared_ms=%.3f messages_ms=%.3f ratio=%.2f", median(sharedT.wall), median(messageT.wall),
                median(messageT.wall) / median(sharedT.wall));
    if (gloo) std::printf(" gloo_ms=%.3f", median(glooT.wall));
    std::printf("\n");
  }
  return 0;
}
