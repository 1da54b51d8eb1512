// Shape-checked forward/backward entry points and the shared parts of every module.
#include "shoal/nn/module.hpp"

#include "shoal/error.hpp"
#include "shoal/nn/flat_parameters.hpp"

namespace shoal::nn {

Module::Module() = default;
Module::~Module() = default;

Module::Module(Module&& other) noexcept
    : output_(std::move(other.output_)), gradInput_(std::move(other.gradInput_)),
      training_(other.training_), passThrough_(other.passThrough_), label_(std::move(other.label_)),
      checkedInput_(other.checkedInput_), inputChecked_(other.inputChecked_) {}

Module& Module::operator=(Module&& other) noexcept {
  output_ = std::move(other.output_);
  gradInput_ = std::move(other.gradInput_);
  training_ = other.training_;
  passThrough_ = other.passThrough_;
  label_ = std::move(other.label_);
  checkedInput_ = other.checkedInput_;
  inputChecked_ = other.inputChecked_;
  flat_.reset();
  return *this;
}

void Module::checkInput(const Tensor& input) {
  if (input.rank() == 0) throw ShapeError(label() + ": input must have a batch dimension");
  Shape sample = input.shape().tail();
  if (inputChecked_ && sample == checkedInput_) return;
  outputShape(sample);  // throws with the layer and both sizes
  checkedInput_ = sample;
  inputChecked_ = true;
}

const Tensor& Module::forward(const Tensor& input) {
  // A passed-through module sees what the module that took it over computed (a fused pooling:
  // the already pooled output) and that module checked its input.
  if (passThrough_) return output_ = input;
  checkInput(input);
  updateOutput(input);
  return output_;
}

void Module::checkGradOutput(const Tensor& input, const Tensor& gradOutput) {
  if (!passThrough_) checkInput(input);
  if (gradOutput.shape() != output_.shape())
    throw ShapeError(label() + ": gradOutput has shape " + gradOutput.shape().str() +
                     ", expected the output shape " + output_.shape().str());
}

void Module::backwardParameters(const Tensor& input, const Tensor& gradOutput) {
  checkGradOutput(input, gradOutput);
  if (!passThrough_) updateParameterGradients(input, gradOutput);
}

const Tensor& Module::backward(const Tensor& input, const Tensor& gradOutput) {
  checkGradOutput(input, gradOutput);
  if (passThrough_) {
    gradInput_ = gradOutput;
    return gradInput_;
  }
  updateGradInput(input, gradOutput);
  accGradParameters(input, gradOutput);
  return gradInput_;
}

nlohmann::json Module::spec() const { return {{"type", typeName()}}; }

std::vector<Parameter> Module::parameters() { return {}; }

void Module::reset(Generator&) {}

void Module::setTraining(bool training) { training_ = training; }

FlatParameters& Module::flatParameters() {
  if (!flat_) flat_ = std::make_unique<FlatParameters>(parameters());
  return *flat_;
}

void Module::zeroGradParameters() {
  if (flat_) return flat_->zeroGrads();
  for (Parameter& p : parameters()) p.grad->fill(0.0f);
}

int64_t Module::parameterCount() {
  int64_t n = 0;
  for (Parameter& p : parameters()) n += p.value->numel();
  return n;
}

}  // namespace shoal::nn
