// Linear layer on the oneDNN matmul backend.
#include "shoal/nn/linear.hpp"

#include <cmath>

#include "shoal/backend/backend.hpp"
#include "shoal/error.hpp"
#include "shoal/nn/init.hpp"

namespace shoal::nn {

Linear::Linear(int64_t inFeatures, int64_t outFeatures, bool withBias)
    : in_(inFeatures), out_(outFeatures), withBias_(withBias),
      matmul_(backend::current().makeMatmul()),
      reluMask_(backend::current().makeEltwise(backend::Activation::Relu)) {
  if (in_ <= 0 || out_ <= 0)
    throw UsageError("Linear: feature counts must be positive, got " + std::to_string(in_) +
                     " -> " + std::to_string(out_));
  weight_ = Tensor(Shape{out_, in_});
  gradWeight_ = Tensor(Shape{out_, in_});
  if (withBias_) {
    bias_ = Tensor(Shape{out_});
    gradBias_ = Tensor(Shape{out_});
  }
  reset(initGenerator());
}

bool Linear::fuseNext(const Module& next) {
  if (next.typeName() != "ReLU") return false;
  fuseRelu(true);
  return true;
}

Shape Linear::outputShape(const Shape& inputShape) const {
  if (inputShape.rank() != 1 || inputShape[0] != in_)
    throw ShapeError(label() + ": expects samples of " + std::to_string(in_) +
                     " features, got samples of shape " + inputShape.str() +
                     (inputShape.rank() == 1 ? " (" + std::to_string(inputShape[0]) + " features)"
                                             : " (add a Flatten before it)"));
  return Shape{out_};
}

nlohmann::json Linear::spec() const {
  return {{"type", typeName()}, {"in", in_}, {"out", out_}, {"bias", withBias_}};
}

std::string Linear::describe() const {
  std::string s = "Linear(" + std::to_string(in_) + " -> " + std::to_string(out_);
  if (!withBias_) s += ", no bias";
  return s + ")";
}

std::vector<Parameter> Linear::parameters() {
  std::vector<Parameter> params{{"weight", &weight_, &gradWeight_, &overwriteGrads_}};
  if (withBias_) params.push_back({"bias", &bias_, &gradBias_, &overwriteGrads_});
  return params;
}

void Linear::reset(Generator& gen) {
  double bound = 1.0 / std::sqrt(static_cast<double>(in_));
  uniform(weight_, bound, gen);
  if (withBias_) uniform(bias_, bound, gen);
}

void Linear::updateOutput(const Tensor& input) {
  // Module::forward does not check rank-0 samples (its initial checked shape); none fits here.
  if (input.rank() < 2) outputShape(input.shape().tail());
  output_.resize(Shape{input.dim(0), out_});
  matmul_->forward(input, weight_, withBias_ ? &bias_ : nullptr, fusedRelu_, output_);
}

const Tensor& Linear::productGrad(const Tensor& gradOutput) const {
  return fusedRelu_ ? maskedGrad_ : gradOutput;
}

void Linear::maskGradient(const Tensor& gradOutput) {
  if (!fusedRelu_) return;
  // gradOutput [N, Out] -> maskedGrad_ [N, Out]: zero where the fused ReLU's output is 0
  maskedGrad_.resize(gradOutput.shape());
  reluMask_->backward(output_, gradOutput, maskedGrad_);
}

void Linear::updateGradInput(const Tensor& input, const Tensor& gradOutput) {
  maskGradient(gradOutput);
  gradInput_.resize(input.shape());
  matmul_->backwardData(productGrad(gradOutput), weight_, gradInput_);
}

void Linear::updateParameterGradients(const Tensor& input, const Tensor& gradOutput) {
  maskGradient(gradOutput);
  accGradParameters(input, gradOutput);
}

void Linear::accGradParameters(const Tensor& input, const Tensor& gradOutput) {
  matmul_->backwardWeights(input, productGrad(gradOutput), gradWeight_,
                           withBias_ ? &gradBias_ : nullptr, /*accumulate=*/!overwriteGrads_);
  overwriteGrads_ = false;
}

}  // namespace shoal::nn
