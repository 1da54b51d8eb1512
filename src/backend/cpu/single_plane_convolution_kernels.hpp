// The AVX-512 passes of SinglePlaneConvolution: a 3x3 or 5x5 convolution of one input plane at stride 1, vectorised along the output rows.
//
// A convolution of one input plane has too few channels for oneDNN's channel-blocked kernels,
// which pad the output channels to blocks of 16 (LeNet-5's first layer: 6 of 16 lanes used).
// These passes vectorise along an output row instead: up to 4 vectors of 16 pixels (rows of at
// most 64), with enough independent sums in registers to keep the multiply-adds busy (several
// output planes at once forward, one sum per kernel tap for the weight gradients). Each image is
// first copied into a zero-bordered plane on the stack, so no load needs a bounds check. A 2x2
// max pooling at stride 2 can follow in the same pass. The passes are built in
// single_plane_convolution_avx512.cpp (compiled with -mavx512f); callers check cpu::hasAvx512()
// first. The rest is in single_plane_convolution.cpp.
#pragma once
#include <cstdint>

namespace shoal::backend::cpu {

// src [N, 1, H, W] -> conv [N, Out, OH, OW] through a k x k kernel at stride 1 with padding
// (pH, pW) on both sides: OH = H + 2 pH - k + 1, OW = W + 2 pW - k + 1; with `pooled`, then
// max-pooled in 2x2 windows at stride 2 to [N, Out, OH / 2, OW / 2].
struct SinglePlanePass {
  int64_t n = 0, h = 0, w = 0, out = 0, k = 0, ph = 0, pw = 0;
  bool pooled = false;
  int64_t oh() const { return h + 2 * ph - k + 1; }
  int64_t ow() const { return w + 2 * pw - k + 1; }
};

// The most floats a stack buffer of a pass may have (64 KB).
constexpr int64_t kSinglePlaneMaxBuffer = 16384;
// The widest output (and, for the input gradient, input) row: 4 vectors of 16.
constexpr int64_t kSinglePlaneMaxRow = 64;
// The selection of a pooling window that passes no gradient (its maximum is not positive after
// a fused ReLU); 0-3 select its elements in row-major order.
constexpr uint8_t kSinglePlaneNoSelection = 255;

// Output planes the forward pass computes at once for rows of `vectors` vectors (12 sums in
// registers or more: enough to hide the multiply-add's latency).
constexpr int64_t singlePlaneGroup(int64_t vectors) {
  return vectors == 1 ? 8 : vectors == 2 ? 6 : vectors == 3 ? 4 : 3;
}

// Whether the passes take `p`: a 3x3 or 5x5 kernel, padding below its extent, rows of at most
// kSinglePlaneMaxRow pixels both ways, an even output with `pooled`, and stack buffers within
// kSinglePlaneMaxBuffer.
bool singlePlaneFits(const SinglePlanePass& p);

// dst = the convolution of src [N, 1, H, W] with weight [Out, 1, k, k], plus bias [Out] (null:
// none), then max(0, .) with `relu`: [N, Out, OH, OW], or with p.pooled the pooled [N, Out,
// OH / 2, OW / 2] and each window's selection in selected [N, Out, OH / 2, OW / 2] (the first
// maximum in row-major order; kSinglePlaneNoSelection where `relu` left no positive element).
// Images split over the OpenMP threads.
void singlePlaneForwardAvx512(const SinglePlanePass& p, const float* src, const float* weight,
                              const float* bias, bool relu, float* dst, uint8_t* selected);
// routed [N, Out, OH, OW] = the pooled gradient [N, Out, OH / 2, OW / 2] at each window's
// selection, 0 elsewhere (every element written); selected as the weight gradients read it.
void singlePlaneRouteAvx512(const SinglePlanePass& p, const float* pooledGrad,
                            const uint8_t* selected, float* routed);
// partial [chunks, Out * k * k + Out] (doubles, chunks = singlePlaneChunks(p)) = per chunk of
// images the weight gradients, then the bias gradients, of gradDst [N, Out, OH, OW] over src
// [N, 1, H, W]; the caller adds the chunks in order (a split fixed by N, not by the thread count).
// With p.pooled, gradDst is the pooled gradient, routed in the same pass through `selected`
// (the forward's, with 8 bytes readable from every window: 7 past the last).
int64_t singlePlaneChunks(const SinglePlanePass& p);
void singlePlaneWeightGradientsAvx512(const SinglePlanePass& p, const float* src,
                                      const float* gradDst, const uint8_t* selected, double* partial);
// gradSrc [N, 1, H, W] = the gradient of src from gradDst [N, Out, OH, OW] and weight (each
// element written).
void singlePlaneInputGradientAvx512(const SinglePlanePass& p, const float* gradDst,
                                    const float* weight, float* gradSrc);

}  // namespace shoal::backend::cpu
