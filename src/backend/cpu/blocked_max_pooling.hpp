// Max pooling of a convolution's result in the layout oneDNN chose for it, to and from plain NCHW.
#pragma once
#include <cstdint>
#include <vector>

#include "shoal/backend/pooling_geometry.hpp"
#include "shoal/tensor/bfloat16.hpp"

namespace shoal::backend::cpu {

// Where element (n, c, h, w) of a [N, C, H, W] tensor lies, in elements from the first:
// n * batch + (c / block) * channelBlock + h * row + w * column + c % block. oneDNN's nChw16c and
// nChw8c are blocks of 16 and 8 channels, plain NCHW is blocks of 1.
// Blocks are padded: the last one has `block` lanes even when C is not a multiple of it. NHWC and
// other plain orders are blocks of 1 with their own strides.
struct ChannelBlocks {
  int64_t block = 1;
  int64_t batch = 0, channelBlock = 0, row = 0, column = 0;
};

// The shapes of a pooling pass over the batch: src [N, C, H, W] in `layout`, `blocks` channel
// blocks, pooled [N, C, PH, PW].
struct PoolingPass {
  ChannelBlocks layout;
  PoolingGeometry g;
  int64_t n = 0, c = 0, h = 0, w = 0, ph = 0, pw = 0, blocks = 0;
  bool maskNonPositive = false;
};

// src [N, C, H, W] in `layout` -> dst plain [N, C, PH, PW], remembering the selected position
// of every window; backward routes a plain pooled gradient back to those positions, in `layout`.
// With `maskNonPositive` (a ReLU computed before the pooling) a window whose maximum is not
// positive passes no gradient: the ReLU's mask, applied to the selected element. Windows with
// a tie select their first maximum in row-major order, as oneDNN and PyTorch do. Work is split
// over the OpenMP threads by image and channel block; nothing is allocated after construction.
class BlockedMaxPooling {
 public:
  // Windows of at most kMaxWindow elements: a position is kept in one byte, 255 marking a window
  // that passes no gradient.
  static constexpr int64_t kMaxWindow = 254;
  // Whether blocks of `block` lanes can be pooled: 1, 2, 4, 8 or 16.
  static bool supports(int64_t block);

  BlockedMaxPooling() = default;
  // src [N, C, H, W] (dims), windows from `geometry` with PyTorch's output sizes.
  BlockedMaxPooling(const std::vector<int64_t>& dims, const ChannelBlocks& layout,
                    const PoolingGeometry& geometry, bool maskNonPositive);

  const PoolingPass& pass() const { return pass_; }

  // src (in layout) -> dst [N, C, PH, PW]. Element types (S, D): (float, float), and for a bf16
  // convolution's result (bfloat16, float) or (bfloat16, bfloat16) when the next layer reads bf16.
  template <class S, class D>
  void forward(const S* src, D* dst);
  // Whether the windows tile the input (stride = kernel, no padding): each input element is in
  // at most one window.
  bool tiles() const;
  // gradDst [N, C, PH, PW] (float or bfloat16) -> gradSrc (in layout, padded lanes 0) through the
  // last forward's selections: every element of gradSrc is written. gradSrc is float, or
  // bfloat16 (rounded to nearest even, once per element) when the windows tile the input;
  // overlapping windows add into f32.
  template <class G, class T>
  void backward(const G* gradDst, T* gradSrc) const;

 private:
  PoolingPass pass_;
  std::vector<uint8_t> selected_;  // [N, blocks, PH, PW, block]: window position, 255 for none
};

}  // namespace shoal::backend::cpu
