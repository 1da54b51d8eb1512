// SparseUpdate: a step's update as signed element codes of one magnitude (threshold compression's decoded sum over ranks).
#pragma once
#include <cstdint>
#include <vector>

namespace shoal::optim {

// The update is, per element i, `unit` times (the number of codes +(i + 1) minus the number of
// codes -(i + 1)); every other element's update is 0. An element may appear in many codes.
struct SparseUpdate {
  std::vector<int32_t> codes;
  float unit = 0;
  bool finite = true;  // false when a gradient that went into it was infinite or NaN
  // The momentum the exchange applied before compressing (the step refuses an optimiser
  // configured with another).
  double momentum = 0;
};

}  // namespace shoal::optim
