// Max pooling over channel blocks in vector registers: checks, and the choice of instruction set.
#include "shoal/backend/cpu/blocked_max_pooling.hpp"

#include "blocked_max_pooling_kernels.hpp"
#include "shoal/error.hpp"

namespace shoal::backend::cpu {
namespace {

bool hasAvx512() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}

}  // namespace

bool BlockedMaxPooling::supports(int64_t block) {
  return block == 1 || block == 2 || block == 4 || block == 8 || block == 16;
}

BlockedMaxPooling::BlockedMaxPooling(const std::vector<int64_t>& dims, const ChannelBlocks& layout,
                                     const PoolingGeometry& geometry, bool maskNonPositive)
    : n_(dims.at(0)), c_(dims.at(1)), h_(dims.at(2)), w_(dims.at(3)), layout_(layout),
      g_(geometry), maskNonPositive_(maskNonPositive) {
  if (!supports(layout.block))
    throw Error("BlockedMaxPooling: channel blocks of " + std::to_string(layout.block) +
                " lanes (1, 2, 4, 8 or 16 supported)");
  if (g_.kernelH * g_.kernelW > kMaxWindow)
    throw Error("BlockedMaxPooling: windows of more than " + std::to_string(kMaxWindow) +
                " elements");
  ph_ = poolingOutputSize(h_, g_.kernelH, g_.strideH, g_.padH, g_.ceilMode);
  pw_ = poolingOutputSize(w_, g_.kernelW, g_.strideW, g_.padW, g_.ceilMode);
  blocks_ = (c_ + layout.block - 1) / layout.block;
  selected_.resize(static_cast<size_t>(n_ * blocks_ * ph_ * pw_ * layout.block));
}

void BlockedMaxPooling::forward(const float* src, float* dst) {
  PoolingPass p{layout_, g_, n_, c_, h_, w_, ph_, pw_, blocks_, maskNonPositive_};
  if (hasAvx512())
    forwardPassAvx512(p, src, dst, selected_.data());
  else
    forwardPass(p, src, dst, selected_.data());
}

void BlockedMaxPooling::backward(const float* gradDst, float* gradSrc) const {
  PoolingPass p{layout_, g_, n_, c_, h_, w_, ph_, pw_, blocks_, maskNonPositive_};
  if (hasAvx512())
    backwardPassAvx512(p, gradDst, selected_.data(), gradSrc);
  else
    backwardPass(p, gradDst, selected_.data(), gradSrc);
}

}  // namespace shoal::backend::cpu
