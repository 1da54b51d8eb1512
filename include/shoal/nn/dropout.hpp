// Dropout: inverted dropout in training mode, identity in evaluation mode (Torch's nn.Dropout).
#pragma once
#include <cstdint>

#include "shoal/nn/module.hpp"

namespace shoal::nn {

// Training: each element is zeroed with probability p and the others are scaled by 1/(1-p),
// with a fresh mask per forward. Evaluation: the output is the input (shared, no copy).
// The mask generator is seeded at construction from initGenerator(), so manualSeed fixes it.
class Dropout : public Module {
 public:
  // 0 <= p < 1; throws UsageError otherwise.
  explicit Dropout(double p = 0.5);
  Dropout(Dropout&&) = default;

  double p() const { return p_; }
  // Restarts the mask generator from `seed`.
  void reseed(uint64_t seed) { maskGen_.seed(seed); }
  // While frozen, training-mode forwards reuse the last mask for inputs of its shape (a new
  // mask is drawn only for a new shape), so repeated forwards are the same function: for
  // gradient checks.
  void freezeMask(bool frozen) { frozen_ = frozen; }

  Shape outputShape(const Shape& inputShape) const override { return inputShape; }
  std::string typeName() const override { return "Dropout"; }
  nlohmann::json spec() const override;
  std::string describe() const override;

 protected:
  std::vector<Generator*> ownGenerators() override { return {&maskGen_}; }
  // Reseeds the mask generator with one draw from `gen`.
  void resetOwn(Generator& gen) override;
  void updateOutput(const Tensor& input) override;
  void updateGradInput(const Tensor& input, const Tensor& gradOutput) override;

 private:
  void drawMask(const Shape& shape);

  double p_;
  Generator maskGen_;
  bool frozen_ = false;
  Tensor mask_;  // shaped like the input: 0 or 1/(1-p)
  // Training-mode output and gradInput; output_ and gradInput_ are set to them (or, in
  // evaluation mode, to the input and gradOutput themselves), so they are never written through
  // a view of the caller's tensors.
  Tensor dropped_, gradDropped_;
};

}  // namespace shoal::nn
