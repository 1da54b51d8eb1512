// Instruction sets the CPU backend's own kernels pick their builds by (checked once per process).
#pragma once

namespace shoal::backend::cpu {

// Whether this processor runs the kernels built with -mavx512f (*_avx512.cpp).
inline bool hasAvx512() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}

}  // namespace shoal::backend::cpu
