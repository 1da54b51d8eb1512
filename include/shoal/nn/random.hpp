// The seeded generator behind parameter initialisation and dropout (torch.manual_seed's role).
#pragma once
#include <cstdint>
#include <random>

namespace shoal::nn {

using Generator = std::mt19937_64;

// Reseeds the generator that new layers draw their initial weights and dropout seeds from.
void manualSeed(uint64_t seed);
// The process-wide initialisation generator (seeded with 42 unless manualSeed was called).
Generator& initGenerator();

}  // namespace shoal::nn
