// Dropout layer: mask drawing from 32-bit halves of the generator's output, masked products.
#include "shoal/nn/dropout.hpp"
#include "shoal/nn/layer_registry.hpp"

#include <string>

#include "shoal/error.hpp"

namespace shoal::nn {

Dropout::Dropout(double p) : p_(p), maskGen_(initGenerator()()) {
  if (!(p >= 0.0 && p < 1.0))
    throw UsageError("Dropout: p must be in [0, 1), got " + std::to_string(p));
}

nlohmann::json Dropout::spec() const { return {{"type", typeName()}, {"p", p_}}; }

std::string Dropout::describe() const {
  std::string p = std::to_string(p_);
  p.erase(p.find_last_not_of('0') + 1);  // "0.500000" -> "0.5"
  if (p.back() == '.') p += '0';
  return "Dropout(" + p + ")";
}

void Dropout::resetOwn(Generator& gen) { maskGen_.seed(gen()); }

void Dropout::drawMask(const Shape& shape) {
  mask_.resize(shape);
  // An element is kept when a uniform 32-bit draw falls below (1 - p) * 2^32.
  auto keepBelow = static_cast<uint64_t>((1.0 - p_) * 4294967296.0);
  float scale = static_cast<float>(1.0 / (1.0 - p_));
  float* m = mask_.data();
  int64_t n = mask_.numel();
  for (int64_t i = 0; i < n; i += 2) {
    uint64_t bits = maskGen_();
    m[i] = (bits & 0xffffffffu) < keepBelow ? scale : 0.0f;
    if (i + 1 < n) m[i + 1] = (bits >> 32) < keepBelow ? scale : 0.0f;
  }
}

void Dropout::updateOutput(const Tensor& input) {
  if (!training_ || p_ == 0.0) {
    output_ = input;
    return;
  }
  if (!frozen_ || !(mask_.shape() == input.shape())) drawMask(input.shape());
  dropped_.resize(input.shape());
  const float* x = input.data();
  const float* m = mask_.data();
  float* y = dropped_.data();
  for (int64_t i = 0; i < input.numel(); ++i) y[i] = x[i] * m[i];
  output_ = dropped_;
}

void Dropout::updateGradInput(const Tensor& input, const Tensor& gradOutput) {
  if (!training_ || p_ == 0.0) {
    gradInput_ = gradOutput;
    return;
  }
  gradDropped_.resize(input.shape());
  const float* g = gradOutput.data();
  const float* m = mask_.data();
  float* gx = gradDropped_.data();
  for (int64_t i = 0; i < input.numel(); ++i) gx[i] = g[i] * m[i];
  gradInput_ = gradDropped_;
}

SHOAL_REGISTER_LAYER(Dropout, {"Dropout", {"p"}, [](const LayerArgs& a) {
  double p = a.number("p", 0.5);
  if (p < 0 || p >= 1) a.fail("argument \"p\" must be in [0, 1), got " + std::to_string(p));
  return std::make_unique<Dropout>(p);
}});

}  // namespace shoal::nn
