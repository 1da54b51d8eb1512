// Passes over long float arrays in host memory (flat parameter and gradient buffers) on every core, vectorised.
#pragma once
#include <cstdint>

#include "shoal/tensor/tensor.hpp"

namespace shoal::backend {

// True when none of the `count` values is infinite or NaN; one read of the array.
bool allFinite(const float* values, int64_t count);
// values[0, count) = 0.
void zero(float* values, int64_t count);
// sum[0, count) = a + b, element by element (sum may be a or b).
void add(const float* a, const float* b, float* sum, int64_t count);
// Activations of f32 or bf16 elements, each tensor as its dtype says, all of one element count
// (outputs sized by the caller); each element computed in f32 and rounded once into a bf16
// output. sum = a + b:
void add(const Tensor& a, const Tensor& b, Tensor& sum);
// dst = max(0, a + b) (a residual addition and the ReLU after it in one pass):
void addRelu(const Tensor& a, const Tensor& b, Tensor& dst);
// dst = max(0, src):
void relu(const Tensor& src, Tensor& dst);
// gradSrc (f32) = grad where the ReLU's output > 0, else 0:
void reluBackward(const Tensor& output, const Tensor& grad, Tensor& gradSrc);
// gradSrc (f32) = grad + moreGrad where the ReLU's output > 0, else 0 (an output read twice,
// its two gradients summed in the masking pass):
void reluBackward(const Tensor& output, const Tensor& grad, const Tensor& moreGrad, Tensor& gradSrc);
// dst = src rounded to bf16 (nearest even); src f32 or bf16 (copied), dst bf16, both of one
// element count (dst sized by the caller).
void toBf16(const Tensor& src, Tensor& dst);
// dst[0, count) = src x scale (one f32 product) rounded to bf16, on the calling thread (an
// optimiser's pass calls it on the stretch of parameters it has just updated, still in cache; a
// bf16 all-reduce on the gradients it averages, in the same pass).
void roundToBf16(const float* src, bfloat16* dst, int64_t count, float scale = 1.0f);
// sum[0, count) = a + b added in f32 and rounded to bf16 (nearest even), on the calling thread
// (sum may be a or b): a bf16 all-reduce's addition.
void addBf16(const bfloat16* a, const bfloat16* b, bfloat16* sum, int64_t count);
// The ReLU's backward pass in bf16: masked = grad where output > 0, else 0. output and grad are
// f32 or bf16, masked is bf16; all of one element count (masked sized by the caller).
void reluMaskToBf16(const Tensor& output, const Tensor& grad, Tensor& masked);

}  // namespace shoal::backend
