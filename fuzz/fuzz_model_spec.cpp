// libFuzzer target: building a network from a JSON spec for 1x8x8 samples, then running it forward.
#include <cstddef>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "shoal/error.hpp"
#include "shoal/nn/model_spec.hpp"
#include "shoal/tensor/tensor.hpp"
#include "spec_bounds.hpp"

// Input: JSON text. Inputs that are not JSON, or that name sizes above 32, are skipped.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nlohmann::json spec = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (spec.is_discarded() || !shoal::fuzz::integersWithin(spec, 32)) return 0;
  const shoal::Shape sampleShape{1, 8, 8};
  try {
    auto model = shoal::nn::buildModel(spec, sampleShape, "fuzz spec");
    if (model->parameterCount() > shoal::fuzz::kMaxForwardParameters) return 0;
    // A model that built must run on the shape it was built for, in both modes.
    shoal::Tensor input = shoal::Tensor::full(shoal::Shape{1, 1, 8, 8}, 0.0f);
    model->train();
    model->forward(input);
    model->evaluate();
    const shoal::Tensor& output = model->forward(input);
    if (output.shape().rank() == 0 || output.dim(0) != 1) __builtin_trap();
  } catch (const shoal::Error&) {
  }
  return 0;
}
