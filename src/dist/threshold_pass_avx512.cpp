// The AVX-512 build of the threshold pass (this file is compiled with -mavx512f -ffp-contract=off).
#include "threshold_pass_kernels.hpp"

namespace shoal::dist {

ThresholdPassProgress runThresholdPassAvx512(const ThresholdPass& p, size_t begin, int32_t* out, size_t room) {
  return anyThresholdPass(p, begin, out, room);
}

}  // namespace shoal::dist
