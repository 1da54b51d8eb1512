// The AVX-512 build of BlockedMaxPooling's passes (this file is compiled with -mavx512f).
#include "blocked_max_pooling_kernels.hpp"

namespace shoal::backend::cpu {

void forwardPassAvx512(const PoolingPass& p, const float* src, float* dst, uint8_t* selected) {
  forwardPass(p, src, dst, selected);
}

void forwardPassAvx512(const PoolingPass& p, const bfloat16* src, float* dst, uint8_t* selected) {
  forwardPass(p, src, dst, selected);
}

void forwardPassAvx512(const PoolingPass& p, const bfloat16* src, bfloat16* dst, uint8_t* selected) {
  forwardPass(p, src, dst, selected);
}

void backwardPassAvx512(const PoolingPass& p, const float* gradDst, const uint8_t* selected,
                        float* gradSrc) {
  backwardPass(p, gradDst, selected, gradSrc);
}

void backwardPassAvx512(const PoolingPass& p, const bfloat16* gradDst, const uint8_t* selected,
                        float* gradSrc) {
  backwardPass(p, gradDst, selected, gradSrc);
}

void backwardPassAvx512(const PoolingPass& p, const float* gradDst, const uint8_t* selected,
                        bfloat16* gradSrc) {
  backwardPass(p, gradDst, selected, gradSrc);
}

void backwardPassAvx512(const PoolingPass& p, const bfloat16* gradDst, const uint8_t* selected,
                        bfloat16* gradSrc) {
  backwardPass(p, gradDst, selected, gradSrc);
}

}  // namespace shoal::backend::cpu
