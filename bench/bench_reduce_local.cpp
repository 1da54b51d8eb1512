// Times the local CPU work of one step's gradient reduction (what GradientReducer does besides the network) in one process: none, bf16 and threshold with momentum correction, alternated.
// usage: bench_reduce_local [ELEMENTS] [STEPS]   (default: the MLP's 795010 gradients, 150 steps)
// The gradient is reduced in 1 MB buckets from its end, as BucketedReduction does; each step gets
// a lasting mean per element plus fresh noise (a pool of 8 drawn once), scaled by a rank's share
// of 1/2. Prints the median
// milliseconds per step of each compression (the single-process communicator's collectives
// return at once, so this is the compression's own passes).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <span>
#include <vector>

#include "shoal/dist/communicator.hpp"
#include "shoal/dist/gradient_reducer.hpp"

using namespace shoal;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t elements = argc > 1 ? std::atoll(argv[1]) : 795010;
  const int steps = argc > 2 ? std::atoi(argv[2]) : 150;
  if (elements <= 0 || steps <= 0) {
    std::fprintf(stderr, "usage: bench_reduce_local [ELEMENTS > 0] [STEPS > 0]\n");
    return 2;
  }
  constexpr int64_t kBucket = 250000;  // 1 MB of floats
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 0.01f);
  // each element's gradient: a lasting mean (the same every step) plus fresh noise, as in training
  std::vector<float> mean(static_cast<size_t>(elements));
  for (float& x : mean) x = normal(rng);
  std::vector<std::vector<float>> pool(8, std::vector<float>(static_cast<size_t>(elements)));
  for (auto& g : pool)
    for (size_t i = 0; i < g.size(); ++i) g[i] = mean[i] + normal(rng);
  std::vector<float> grads(static_cast<size_t>(elements));
  auto comm = dist::singleProcess();
  struct Variant {
    const char* name;
    dist::GradientReducer reducer;
    std::vector<double> ms;
    dist::CompressionStats before{};  // at the first timed step
  };
  std::vector<Variant> variants;
  variants.push_back({"none", dist::GradientReducer(*comm, dist::Compression::None, elements, 0.01), {}});
  variants.push_back({"bf16", dist::GradientReducer(*comm, dist::Compression::Bf16, elements, 0.01), {}});
  variants.push_back({"threshold, momentum correction 0.9",
                      dist::GradientReducer(*comm, dist::Compression::Threshold, elements, 0.01, 0.9), {}});
  for (int step = 0; step < steps; ++step)
    for (Variant& v : variants) {
      const std::vector<float>& fresh = pool[static_cast<size_t>(step) % pool.size()];
      std::copy(fresh.begin(), fresh.end(), grads.begin());
      const auto start = std::chrono::steady_clock::now();
      for (int64_t end = elements; end > 0; end -= kBucket) {
        const int64_t begin = std::max<int64_t>(0, end - kBucket);
        v.reducer.reduce(std::span<float>(grads).subspan(static_cast<size_t>(begin), static_cast<size_t>(end - begin)),
                         begin, 0.5f);
      }
      v.reducer.finishStep();
      if (step == 10) v.before = v.reducer.stats();
      if (step >= 10) v.ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
  std::printf("local work of one step's reduction, %lld gradients in 1 MB buckets, median of %d steps:\n",
              static_cast<long long>(elements), steps - 10);
  for (const Variant& v : variants) {
    const dist::CompressionStats& s = v.reducer.stats();
    std::printf("  %-36s %.3f ms  (density %.2f%%)\n", v.name, median(v.ms),
                100 * (s.sentElements - v.before.sentElements) / (s.offeredElements - v.before.offeredElements));
  }
  return 0;
}
