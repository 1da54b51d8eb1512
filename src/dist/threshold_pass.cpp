// The threshold pass: the baseline build, and the choice of instruction set.
#include "threshold_pass_kernels.hpp"

#include "../backend/cpu/cpu_features.hpp"

namespace shoal::dist {

ThresholdPassProgress runThresholdPassBaseline(const ThresholdPass& p, size_t begin, int32_t* out, size_t room) {
  return anyThresholdPass(p, begin, out, room);
}

ThresholdPassProgress runThresholdPass(const ThresholdPass& p, size_t begin, int32_t* out, size_t room) {
  if (backend::cpu::hasAvx512()) return runThresholdPassAvx512(p, begin, out, room);
  return runThresholdPassBaseline(p, begin, out, room);
}

}  // namespace shoal::dist
