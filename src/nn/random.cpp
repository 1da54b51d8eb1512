// Process-wide seeded generator for initialisation.
#include "shoal/nn/random.hpp"

namespace shoal::nn {
namespace {
Generator& generator() {
  static Generator g(42);
  return g;
}
}  // namespace

void manualSeed(uint64_t seed) { generator().seed(seed); }
Generator& initGenerator() { return generator(); }

}  // namespace shoal::nn
