// The AVX-512 build of BatchNorm's passes where an activation is bf16 (compiled with -mavx512f -mavx512bw -mavx512vl: 2-byte loads, stores and roundings).
#include "batch_norm_avx512_entries.hpp"

namespace shoal::backend::cpu {

SHOAL_BATCH_NORM_AVX512(float, bfloat16)
SHOAL_BATCH_NORM_AVX512(bfloat16, float)
SHOAL_BATCH_NORM_AVX512(bfloat16, bfloat16)

}  // namespace shoal::backend::cpu
