// Max pooling over channel blocks in vector registers: checks, and the choice of instruction set.
#include "blocked_max_pooling.hpp"

#include <type_traits>

#include "blocked_max_pooling_kernels.hpp"
#include "cpu_features.hpp"
#include "shoal/error.hpp"

namespace shoal::backend::cpu {
bool BlockedMaxPooling::supports(int64_t block) {
  return block == 1 || block == 2 || block == 4 || block == 8 || block == 16;
}

BlockedMaxPooling::BlockedMaxPooling(const std::vector<int64_t>& dims, const ChannelBlocks& layout,
                                     const PoolingGeometry& geometry, bool maskNonPositive) {
  if (!supports(layout.block))
    throw Error("BlockedMaxPooling: channel blocks of " + std::to_string(layout.block) +
                " lanes (1, 2, 4, 8 or 16 supported)");
  if (geometry.kernelH * geometry.kernelW > kMaxWindow)
    throw Error("BlockedMaxPooling: windows of more than " + std::to_string(kMaxWindow) +
                " elements");
  PoolingPass& p = pass_;
  p = {.layout = layout, .g = geometry, .n = dims.at(0), .c = dims.at(1), .h = dims.at(2),
       .w = dims.at(3), .maskNonPositive = maskNonPositive};
  p.ph = poolingOutputSize(p.h, p.g.kernelH, p.g.strideH, p.g.padH, p.g.ceilMode);
  p.pw = poolingOutputSize(p.w, p.g.kernelW, p.g.strideW, p.g.padW, p.g.ceilMode);
  p.blocks = (p.c + layout.block - 1) / layout.block;
  selected_.resize(static_cast<size_t>(p.n * p.blocks * p.ph * p.pw * layout.block));
}

template <class S, class D>
void BlockedMaxPooling::forward(const S* src, D* dst) {
  if (hasAvx512())
    forwardPassAvx512(pass_, src, dst, selected_.data());
  else if (hasAvx2())
    forwardPassAvx2(pass_, src, dst, selected_.data());
  else
    forwardPass(pass_, src, dst, selected_.data());
}

bool BlockedMaxPooling::tiles() const {
  const PoolingGeometry& g = pass_.g;
  return g.strideH == g.kernelH && g.strideW == g.kernelW && g.padH == 0 && g.padW == 0;
}

template <class G, class T>
void BlockedMaxPooling::backward(const G* gradDst, T* gradSrc) const {
  if constexpr (std::is_same_v<T, bfloat16>)
    if (!tiles()) throw Error("BlockedMaxPooling: a bf16 gradient needs windows that tile the input");
  if (hasAvx512())
    backwardPassAvx512(pass_, gradDst, selected_.data(), gradSrc);
  else if (hasAvx2())
    backwardPassAvx2(pass_, gradDst, selected_.data(), gradSrc);
  else
    backwardPass(pass_, gradDst, selected_.data(), gradSrc);
}

template void BlockedMaxPooling::forward(const float*, float*);
template void BlockedMaxPooling::forward(const bfloat16*, float*);
template void BlockedMaxPooling::forward(const bfloat16*, bfloat16*);
template void BlockedMaxPooling::backward(const float*, float*) const;
template void BlockedMaxPooling::backward(const bfloat16*, float*) const;
template void BlockedMaxPooling::backward(const float*, bfloat16*) const;
template void BlockedMaxPooling::backward(const bfloat16*, bfloat16*) const;

}  // namespace shoal::backend::cpu
