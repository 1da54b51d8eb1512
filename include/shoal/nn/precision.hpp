// Precision: what a model's matrix products and convolutions read (f32, or bf16 accumulated in f32), and "auto".
#pragma once
#include <string>
#include <string_view>

namespace shoal::nn {

// BF16: products and convolutions take bf16 inputs and weights and accumulate in f32; master
// weights, gradients, optimiser state, normalisation statistics, the loss and the softmax stay
// f32 (Module::setPrecision).
enum class Precision { F32, BF16 };

// "fp32" or "bf16".
std::string_view precisionName(Precision precision);

// The precision a run asked for ("fp32", "bf16" or "auto") resolved on this machine: auto is
// bf16 where the processor has bf16 instructions (AMX-bf16 or AVX512-BF16) and fp32 elsewhere.
// `note` (when given) says why auto chose fp32 or that bf16 is emulated. UsageError for another
// name, and for bf16 on a processor without AVX-512 (oneDNN has no bf16 kernels there).
Precision resolvePrecision(const std::string& name, std::string* note = nullptr);

}  // namespace shoal::nn
