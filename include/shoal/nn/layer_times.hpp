// Wall time spent in each direct child of a container (a Sequential's layers, a Graph's nodes), accumulated while attached (shoal train --profile).
#pragma once
#include <chrono>
#include <vector>

namespace shoal::nn {

struct LayerTimes {
  using Clock = std::chrono::steady_clock;

  std::vector<double> forwardSeconds;   // per layer, summed over the passes since the last clear()
  std::vector<double> backwardSeconds;  // per layer
  Clock::time_point forwardStarted;     // when the latest forward pass began
  Clock::time_point forwardEnded;       // ... and ended
  Clock::time_point backwardStarted;    // when the latest backward pass began
  Clock::time_point backwardEnded;      // ... and ended

  // Zeroes the sums for `layers` layers (sized once; nothing is allocated later).
  void clear(size_t layers) {
    forwardSeconds.assign(layers, 0.0);
    backwardSeconds.assign(layers, 0.0);
  }
};

}  // namespace shoal::nn
