// Narrow layer: copies a run of each row forward, scatters the gradient back into a zeroed row.
#include "shoal/nn/narrow.hpp"

#include <algorithm>

#include "shoal/error.hpp"
#include "shoal/nn/layer_registry.hpp"

namespace shoal::nn {

Narrow::Narrow(int64_t offset, int64_t length) : offset_(offset), length_(length) {
  if (offset < 0 || length <= 0)
    throw UsageError("Narrow: offset must be >= 0 and length > 0, got offset " + std::to_string(offset) +
                     " and length " + std::to_string(length));
}

Shape Narrow::outputShape(const Shape& inputShape) const {
  if (inputShape.rank() != 1 || offset_ + length_ > inputShape[0])
    throw ShapeError(label() + ": takes features [" + std::to_string(offset_) + ", " +
                     std::to_string(offset_ + length_) + ") of [F] samples, got samples of shape " +
                     inputShape.str());
  return Shape{length_};
}

nlohmann::json Narrow::spec() const {
  return {{"type", typeName()}, {"offset", offset_}, {"length", length_}};
}

std::string Narrow::describe() const {
  return "Narrow(" + std::to_string(offset_) + ", " + std::to_string(length_) + ")";
}

// [N, F] -> [N, length]
void Narrow::updateOutput(const Tensor& input) {
  outputShape(input.shape().tail());
  const int64_t n = input.dim(0), width = input.dim(1);
  output_.resize(Shape{n, length_});
  const float* in = input.data();
  float* out = output_.data();
  for (int64_t i = 0; i < n; ++i)
    std::copy_n(in + i * width + offset_, length_, out + i * length_);
}

// gradOutput [N, length] -> gradInput [N, F]
void Narrow::updateGradInput(const Tensor& input, const Tensor& gradOutput) {
  const int64_t n = input.dim(0), width = input.dim(1);
  gradInput_.resize(input.shape());
  float* g = gradInput_.data();
  std::fill_n(g, n * width, 0.0f);
  const float* go = gradOutput.data();
  for (int64_t i = 0; i < n; ++i) std::copy_n(go + i * length_, length_, g + i * width + offset_);
}

SHOAL_REGISTER_LAYER(Narrow, {"Narrow", {"offset", "length"}, [](const LayerArgs& a) {
  const int64_t offset = a.integer("offset"), length = a.integer("length");
  if (offset < 0) a.fail("argument \"offset\" must be >= 0, got " + std::to_string(offset));
  if (length <= 0) a.fail("argument \"length\" must be positive, got " + std::to_string(length));
  return std::make_unique<Narrow>(offset, length);
}});

}  // namespace shoal::nn
