// Parameter initialisation schemes (torch.nn.init's), drawing from a seeded Generator.
#pragma once
#include <cstdint>

#include "shoal/nn/random.hpp"
#include "shoal/tensor/tensor.hpp"

namespace shoal::nn {

// Every scheme fills all of `t` with a fixed number of draws per element, so the same generator
// state gives the same values on every platform.

// Uniform within [-bound, bound].
void uniform(Tensor& t, double bound, Generator& gen);
// Normal with mean 0 and standard deviation `stddev` (Box-Muller).
void normal(Tensor& t, double stddev, Generator& gen);
// Glorot: uniform with bound sqrt(6 / (fanIn + fanOut)).
void xavierUniform(Tensor& t, int64_t fanIn, int64_t fanOut, Generator& gen);
// Glorot: normal with standard deviation sqrt(2 / (fanIn + fanOut)).
void xavierNormal(Tensor& t, int64_t fanIn, int64_t fanOut, Generator& gen);
// He, for ReLU layers: uniform with bound sqrt(6 / fanIn).
void kaimingUniform(Tensor& t, int64_t fanIn, Generator& gen);
// He, for ReLU layers: normal with standard deviation sqrt(2 / fanIn).
void kaimingNormal(Tensor& t, int64_t fanIn, Generator& gen);

}  // namespace shoal::nn
