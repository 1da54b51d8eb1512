// Benchmark: oneDNN's sgemm at the MLP's matrix shapes, the compute ceiling the training figures are held against.
// usage: bench_sgemm [M N K ...] (default: 128 1000 784); prints GFLOP/s of the fastest of many runs.
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "shoal/backend/cpu_info.hpp"

int main(int argc, char** argv) {
  std::vector<long> dims{128, 1000, 784};
  if (argc > 1 && (argc - 1) % 3 == 0) {
    dims.clear();
    for (int i = 1; i < argc; ++i) dims.push_back(std::atol(argv[i]));
  }
  double best = 0;
  for (size_t s = 0; s + 2 < dims.size(); s += 3) {
    long m = dims[s], n = dims[s + 1], k = dims[s + 2];
    // C [M, N] = A [M, K] * B [K, N], all row-major.
    std::vector<float> a(m * k, 0.5f), b(k * n, 0.25f), c(m * n, 0.0f);
    auto run = [&] {
      return dnnl_sgemm('N', 'N', m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, c.data(), n);
    };
    if (run() != dnnl_success) {
      std::fprintf(stderr, "bench_sgemm: dnnl_sgemm failed\n");
      return 1;
    }
    double fastest = 1e30;
    for (int rep = 0; rep < 200; ++rep) {
      auto start = std::chrono::steady_clock::now();
      run();
      fastest = std::min(fastest, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    double gflops = 2.0 * m * n * k / fastest / 1e9;
    std::printf("sgemm %ldx%ldx%ld: %.1f GFLOP/s\n", m, n, k, gflops);
    best = std::max(best, gflops);
  }
  std::printf("RESULT framework=onednn sgemm_gflops=%.1f threads=%d\n", best,
              shoal::backend::threadCount());
  return 0;
}
