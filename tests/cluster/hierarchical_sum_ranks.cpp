// Run on every rank of a job on simulated hosts by the cluster tests: the hierarchical all-reduce
// of the gradient buffer gives the flat all-reduce's sums, with the same bits on every rank.
// usage: hosts mpirun --per-host K hierarchical_sum_ranks    (exit 0 when every check passed)
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shoal/dist/communicator.hpp"

using namespace shoal;

namespace {

int failures = 0;

void expect(bool ok, int rank, const std::string& what) {
  if (ok) return;
  std::fprintf(stderr, "rank %d: FAILED: %s\n", rank, what.c_str());
  ++failures;
}

int64_t hashOf(std::span<const float> values) {
  return static_cast<int64_t>(std::hash<std::string_view>{}(
      std::string_view(reinterpret_cast<const char*>(values.data()), values.size_bytes())));
}

// `values` summed over ranks by the hierarchical route (in its shared buffer) and by messages.
void compare(dist::Communicator& hierarchical, dist::Communicator& flat, std::span<float> shared,
             const std::vector<float>& values, bool exact, const std::string& label) {
  const int rank = flat.rank();
  std::memcpy(shared.data(), values.data(), shared.size_bytes());
  std::vector<float> expected = values;
  hierarchical.allReduce(shared, dist::ReduceOp::Sum);
  flat.allReduce(std::span<float>(expected), dist::ReduceOp::Sum);
  size_t differing = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    const float tolerance = exact ? 0.0f : 1e-5f * (1 + std::fabs(expected[i]));
    if (!(std::fabs(shared[i] - expected[i]) <= tolerance)) ++differing;
  }
  expect(differing == 0, rank, label + ": " + std::to_string(differing) + " of " +
                                   std::to_string(expected.size()) + " sums differ from the flat all-reduce's");
  const auto hashes = flat.allGather(hashOf(shared));
  for (size_t r = 1; r < hashes.size(); ++r)
    expect(hashes[r] == hashes[0], rank, label + ": rank " + std::to_string(r) + "'s sums are not bit-identical to rank 0's");
}

}  // namespace

int main() {
  // the first communicator initialises MPI and finalises it when it goes, after the second
  auto hierarchical = dist::connect(60, true, "timeout", dist::Hierarchy::On);
  auto flat = dist::connect(60, true, "timeout", dist::Hierarchy::Off);
  const int rank = flat->rank(), size = flat->size();
  expect(hierarchical->gradientRoute().starts_with("hierarchical"), rank,
         "the gradient route is '" + hierarchical->gradientRoute() + "', not hierarchical");
  expect(flat->gradientRoute() == "Open MPI messages", rank, "the flat route is '" + flat->gradientRoute() + "'");
  for (int64_t count : {1, 17, 4099, 795010}) {
    float* memory = hierarchical->reducibleMemory(count);
    expect(memory != nullptr, rank, "no shared gradient memory");
    if (!memory) break;
    std::span<float> shared(memory, count);
    std::vector<float> integers(count), reals(count);
    std::mt19937 random(1234 + rank);
    std::uniform_real_distribution<float> uniform(-1, 1);
    for (int64_t i = 0; i < count; ++i) {
      integers[i] = static_cast<float>((rank + 1) * (i % 1000) - 7 * rank);
      reals[i] = uniform(random);
    }
    compare(*hierarchical, *flat, shared, integers, true, std::to_string(count) + " integer-valued floats");
    for (int64_t i = 0; i < count; i += std::max<int64_t>(1, count / 7)) {
      const float want = static_cast<float>((i % 1000) * size * (size + 1) / 2 - 7 * size * (size - 1) / 2);
      expect(shared[i] == want, rank, "sum at " + std::to_string(i) + " is " + std::to_string(shared[i]) +
                                          ", expected " + std::to_string(want));
    }
    compare(*hierarchical, *flat, shared, reals, false, std::to_string(count) + " random floats");
  }
  std::printf("rank %d/%d: %s\n", rank, size, failures ? "FAILED" : "hierarchical sums equal flat ones");
  return failures ? 1 : 0;
}
