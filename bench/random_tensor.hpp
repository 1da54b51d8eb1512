// A benchmark's input: a float32 tensor of values uniform in [-1, 1) from a seed.
#pragma once
#include <cstdint>
#include <random>

#include "shoal/tensor/tensor.hpp"

namespace shoal::bench {

inline Tensor randomTensor(const Shape& shape, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  Tensor t(shape);
  for (int64_t i = 0; i < t.numel(); ++i) t[i] = dist(gen);
  return t;
}

}  // namespace shoal::bench
