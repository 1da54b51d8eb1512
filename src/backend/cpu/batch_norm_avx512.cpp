// The AVX-512 build of BatchNorm's passes for float activations (compiled with -mavx512f); the bf16 ones are batch_norm_bf16_avx512.cpp's.
#include "batch_norm_avx512_entries.hpp"

namespace shoal::backend::cpu {

SHOAL_BATCH_NORM_AVX512(float, float)

}  // namespace shoal::backend::cpu
