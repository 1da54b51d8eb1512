// The fastest of several timed runs of a pass, in milliseconds (the benchmarks' per-pass timer).
#pragma once
#include <algorithm>
#include <chrono>
#include <functional>

namespace shoal::bench {

inline double fastestMs(const std::function<void()>& pass, int repetitions) {
  double best = 1e30;
  for (int r = 0; r < repetitions; ++r) {
    auto start = std::chrono::steady_clock::now();
    pass();
    best = std::min(best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

}  // namespace shoal::bench
