// Instruction sets the CPU backend's own kernels pick their builds by (checked once per process).
#pragma once

namespace shoal::backend::cpu {

// Whether this processor runs the kernels built with -mavx2 (*_avx2.cpp).
inline bool hasAvx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}

// Whether this processor runs the kernels built with -mavx512f (*_avx512.cpp).
inline bool hasAvx512() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}

// Whether it also runs the kernels built with -mavx512bw -mavx512vl (passes over 2-byte bf16
// elements, which AVX-512F alone handles several times more slowly).
inline bool hasAvx512Bw() {
  static const bool has = hasAvx512() && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vl");
  return has;
}

}  // namespace shoal::backend::cpu
