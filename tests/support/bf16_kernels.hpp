// Skipping a test that needs oneDNN's bf16 kernels on a processor without them (below AVX-512).
#pragma once
#include <gtest/gtest.h>

#include "shoal/backend/cpu_info.hpp"

// oneDNN 2.6 has bf16 convolutions and products only on AVX-512 and up (emulated there, native
// with AVX512-BF16 or AMX); below it shoal refuses --precision bf16, so a test of those kernels
// has nothing to run. shoal's own bf16 passes (rounding, batch normalisation, additions) have
// plain builds and are tested everywhere.
#define SHOAL_SKIP_WITHOUT_BF16_KERNELS()                                                      \
  if (::shoal::backend::bf16Support() == ::shoal::backend::Bf16Support::None)                  \
  GTEST_SKIP() << "oneDNN has no bf16 kernels on this processor (bf16 support: "               \
               << ::shoal::backend::bf16SupportDescription() << ")"
