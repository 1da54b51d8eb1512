// The AVX-512 build of BlockedMaxPooling's passes (this file is compiled with -mavx512f).
#include "blocked_max_pooling_kernels.hpp"

namespace shoal::backend::cpu {

SHOAL_BLOCKED_POOLING_BUILD(Avx512)

}  // namespace shoal::backend::cpu
