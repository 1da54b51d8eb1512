// Initialisation schemes from raw 64-bit draws (no std:: distributions, whose output varies by library).
#include "shoal/nn/init.hpp"

#include <cmath>
#include <numbers>
#include <string>

#include "shoal/error.hpp"

namespace shoal::nn {
namespace {

// Uniform in [0, 1) with 53 random bits.
double unit(Generator& gen) { return static_cast<double>(gen() >> 11) * 0x1.0p-53; }

void expectPositive(int64_t fan, const char* scheme) {
  if (fan <= 0)
    throw UsageError(std::string(scheme) + ": fan must be positive, got " + std::to_string(fan));
}

}  // namespace

void uniform(Tensor& t, double bound, Generator& gen) {
  float* x = t.data();
  for (int64_t i = 0; i < t.numel(); ++i)
    x[i] = static_cast<float>(bound * (2.0 * unit(gen) - 1.0));
}

void normal(Tensor& t, double stddev, Generator& gen) {
  float* x = t.data();
  for (int64_t i = 0; i < t.numel(); i += 2) {
    double radius = stddev * std::sqrt(-2.0 * std::log(1.0 - unit(gen)));  // 1 - u is in (0, 1]
    double angle = 2.0 * std::numbers::pi * unit(gen);
    x[i] = static_cast<float>(radius * std::cos(angle));
    if (i + 1 < t.numel()) x[i + 1] = static_cast<float>(radius * std::sin(angle));
  }
}

void xavierUniform(Tensor& t, int64_t fanIn, int64_t fanOut, Generator& gen) {
  expectPositive(fanIn + fanOut, "xavierUniform");
  uniform(t, std::sqrt(6.0 / static_cast<double>(fanIn + fanOut)), gen);
}

void xavierNormal(Tensor& t, int64_t fanIn, int64_t fanOut, Generator& gen) {
  expectPositive(fanIn + fanOut, "xavierNormal");
  normal(t, std::sqrt(2.0 / static_cast<double>(fanIn + fanOut)), gen);
}

void kaimingUniform(Tensor& t, int64_t fanIn, Generator& gen) {
  expectPositive(fanIn, "kaimingUniform");
  uniform(t, std::sqrt(6.0 / static_cast<double>(fanIn)), gen);
}

void kaimingNormal(Tensor& t, int64_t fanIn, Generator& gen) {
  expectPositive(fanIn, "kaimingNormal");
  normal(t, std::sqrt(2.0 / static_cast<double>(fanIn)), gen);
}

}  // namespace shoal::nn
