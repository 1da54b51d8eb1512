// BatchNormalization: shapes, running statistics, modes; arithmetic in the backend's BatchNormOp.
#include "shoal/nn/batch_normalization.hpp"
#include "shoal/nn/layer_registry.hpp"

#include <sstream>

#include "batch_norm_relu_step.hpp"
#include "shoal/backend/backend.hpp"
#include "shoal/error.hpp"

namespace shoal::nn {
namespace {

// [N, C] -> [N, C, 1, 1]; [N, C, H, W] unchanged.
Shape as4d(const Shape& s) {
  return Shape{s[0], s[1], s.rank() > 2 ? s[2] : 1, s.rank() > 3 ? s[3] : 1};
}

std::string number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

}  // namespace

BatchNormalization::BatchNormalization(int64_t nOutput, double eps, double momentum, bool affine)
    : BatchNormalization("BatchNormalization", nOutput, eps, momentum, affine) {}

BatchNormalization::BatchNormalization(const std::string& type, int64_t nOutput, double eps,
                                       double momentum, bool affine)
    : nOutput_(nOutput > 0 ? nOutput : 0),
      eps_(eps),
      momentum_(momentum),
      affine_(affine),
      weight_(Shape{affine ? nOutput_ : 0}),
      bias_(weight_.shape()),
      gradWeight_(weight_.shape()),
      gradBias_(weight_.shape()),
      runningMean_(Shape{nOutput_}),
      runningVar_(Shape{nOutput_}),
      batchMean_(Shape{nOutput_}),
      batchVar_(Shape{nOutput_}),
      bn_(backend::current().makeBatchNorm(eps, affine)) {
  if (nOutput <= 0)
    throw UsageError(type + ": channel count must be positive, got " + std::to_string(nOutput));
  if (!(eps > 0)) throw UsageError(type + ": eps must be positive, got " + number(eps));
  if (!(momentum >= 0 && momentum <= 1))
    throw UsageError(type + ": momentum must be in [0, 1], got " + number(momentum));
  reset(initGenerator());
}

void BatchNormalization::checkSample(const Shape& in) const {
  if (in.rank() != 1 || in[0] != nOutput_)
    throw ShapeError(label() + ": expected a sample of shape [" + std::to_string(nOutput_) +
                     "], got " + in.str());
}

Shape BatchNormalization::outputShape(const Shape& in) const {
  checkSample(in);
  return in;
}

nlohmann::json BatchNormalization::spec() const {
  return {{"type", typeName()},
          {"n", nOutput_},
          {"eps", eps_},
          {"momentum", momentum_},
          {"affine", affine_}};
}

std::string BatchNormalization::describe() const {
  std::string s = typeName() + "(" + std::to_string(nOutput_);
  if (eps_ != 1e-5) s += ", eps " + number(eps_);
  if (momentum_ != 0.1) s += ", momentum " + number(momentum_);
  if (!affine_) s += ", no affine";
  return s + ")";
}

std::vector<Parameter> BatchNormalization::ownParameters() {
  if (!affine_) return {};
  return {{"weight", &weight_, &gradWeight_}, {"bias", &bias_, &gradBias_}};
}

void BatchNormalization::resetOwn(Generator&) {
  weight_.fill(1.0f);
  bias_.fill(0.0f);
  runningMean_.fill(0.0f);
  runningVar_.fill(1.0f);
}

// input [N, C] or [N, C, H, W] -> output of the same shape
void BatchNormalization::updateOutput(const Tensor& input) { normalise(input, output_, false); }

// A channels-last input is 4-d, so the [N, C, H, W] views below keep its shape (and layout).
void BatchNormalization::normalise(const Tensor& input, Tensor& output, bool relu) {
  const Shape shape4 = as4d(input.shape());
  output.resize(input.shape(), outputBf16_ ? DType::BF16 : DType::F32);
  output.setLayout(input.layout());  // channels-last only where the input is 4-d
  Tensor x = input.view(shape4), y = output.view(shape4);
  forwardUsedBatchStatistics_ = training_;
  if (!training_)
    return bn_->forwardInference(x, weight_, bias_, runningMean_, runningVar_, y, relu);

  int64_t count = shape4[0] * shape4[2] * shape4[3];  // values per channel
  if (count < 2)
    throw ShapeError(label() +
                     ": training needs more than one value per channel, got input shape " +
                     input.shape().str());
  bn_->forwardTraining(x, weight_, bias_, y, batchMean_, batchVar_, relu);
  // running = (1 - momentum) running + momentum batch, with the unbiased batch variance
  float m = static_cast<float>(momentum_);
  float unbias = static_cast<float>(count) / static_cast<float>(count - 1);
  for (int64_t c = 0; c < nOutput_; ++c) {
    runningMean_[c] = (1 - m) * runningMean_[c] + m * batchMean_[c];
    runningVar_[c] = (1 - m) * runningVar_[c] + m * batchVar_[c] * unbias;
  }
}

// gradOutput -> gradInput; gradWeight += dL/dweight, gradBias += dL/dbias
void BatchNormalization::updateGradInput(const Tensor& input, const Tensor& gradOutput) {
  normaliseBackward(input, gradOutput, nullptr, gradInput_);
}

void BatchNormalization::normaliseBackward(const Tensor& input, const Tensor& gradOutput,
                                           const Tensor* reluOutput, Tensor& gradInput) {
  const Shape shape4 = as4d(input.shape());
  if (gradOutput.layout() != input.layout())
    throw UsageError(label() + ": gradOutput " + gradOutput.shape().str() + " is " +
                     std::string(layoutName(gradOutput.layout())) + " but the input is " +
                     std::string(layoutName(input.layout())));
  gradInput.resize(input.shape(), DType::F32);
  gradInput.setLayout(input.layout());
  Tensor gradIn = gradInput.view(shape4);
  const Tensor* grad = &gradOutput;
  if (gradOutput.dtype() != DType::F32) {  // from a module that passes bf16 gradients (Linear)
    gradOutputF32_.resize(gradOutput.shape(), DType::F32);
    gradOutputF32_.copyFrom(gradOutput);
    grad = &gradOutputF32_;
  }
  Tensor reluOut = reluOutput ? reluOutput->view(shape4) : Tensor();
  bool batch = forwardUsedBatchStatistics_;
  bn_->backward(input.view(shape4), grad->view(shape4), reluOutput ? &reluOut : nullptr,
                weight_, bias_, batch ? batchMean_ : runningMean_, batch ? batchVar_ : runningVar_,
                batch, gradIn, gradWeight_, gradBias_);
}

std::unique_ptr<PlanStep> BatchNormalization::fuse(std::span<const Epilogue> following) {
  if (following.empty() || following[0].kind != Epilogue::Kind::Relu) return nullptr;
  return std::make_unique<BatchNormReluStep>(*this);
}

SHOAL_REGISTER_LAYER(BatchNormalization, {"BatchNormalization", {"n", "eps", "momentum", "affine"},
                                  [](const LayerArgs& a) {
  const Shape& in = a.inputShape();
  return std::make_unique<BatchNormalization>(a.integer("n", in.rank() ? in[0] : 0), a.number("eps", 1e-5),
                                  a.number("momentum", 0.1), a.flag("affine", true));
}});

}  // namespace shoal::nn
