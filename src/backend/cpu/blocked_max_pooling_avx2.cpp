// The AVX2 build of BlockedMaxPooling's passes (this file is compiled with -mavx2).
#include "blocked_max_pooling_kernels.hpp"

namespace shoal::backend::cpu {

SHOAL_BLOCKED_POOLING_BUILD(Avx2)

}  // namespace shoal::backend::cpu
