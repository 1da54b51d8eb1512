// Noisy class clusters for the trainer and distributed tests.
#include "support/synthetic_data.hpp"

#include <random>
#include <vector>

namespace shoal::testing {

data::Dataset gaussianClasses(int64_t n, int classes, int features, int period, float shift,
                              float noise, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<float> draw(0, noise);
  std::vector<float> x;
  std::vector<int32_t> y;
  for (int64_t i = 0; i < n; ++i) {
    const int32_t label = static_cast<int32_t>(i % classes);
    for (int f = 0; f < features; ++f) x.push_back(draw(gen) + (f % period == label ? shift : 0.0f));
    y.push_back(label);
  }
  return data::Dataset::fromFloats(Shape{features}, x, y, classes);
}

}  // namespace shoal::testing
