// Precision names and the resolution of "auto" from what the processor offers.
#include "shoal/nn/precision.hpp"

#include "shoal/backend/cpu_info.hpp"
#include "shoal/error.hpp"

namespace shoal::nn {

std::string_view precisionName(Precision precision) {
  return precision == Precision::BF16 ? "bf16" : "fp32";
}

Precision resolvePrecision(const std::string& name, std::string* note) {
  using backend::Bf16Support;
  if (note) note->clear();
  const Bf16Support support = backend::bf16Support();
  if (name == "fp32") return Precision::F32;
  if (name == "auto") {
    if (support == Bf16Support::Native) return Precision::BF16;
    if (note)
      *note = "precision auto: fp32, the processor has no bf16 instructions (bf16 support: " +
              backend::bf16SupportDescription() + ")";
    return Precision::F32;
  }
  if (name == "bf16") {
    if (support == Bf16Support::None)
      throw UsageError("precision bf16 needs a processor with AVX-512 (oneDNN has no bf16 kernels "
                       "below it); this one offers " + backend::instructionSet() +
                       ": use fp32 or auto");
    if (support == Bf16Support::Emulated && note)
      *note = "precision bf16 is emulated on this processor (" +
              backend::bf16SupportDescription() + "): expect it to be slower than fp32";
    return Precision::BF16;
  }
  throw UsageError("precision must be fp32, bf16 or auto, got '" + name + "'");
}

}  // namespace shoal::nn
