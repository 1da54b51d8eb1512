// Linear layer on the backend's matrix product, its fusion with a following ReLU and its registration.
#include "shoal/nn/linear.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "shoal/backend/backend.hpp"
#include "shoal/backend/vector_kernels.hpp"
#include "shoal/error.hpp"
#include "shoal/nn/init.hpp"
#include "shoal/nn/layer_registry.hpp"
#include "fused_linear_step.hpp"

namespace shoal::nn {

Linear::Linear(int64_t inFeatures, int64_t outFeatures, bool withBias)
    : in_(inFeatures), out_(outFeatures), withBias_(withBias),
      matmul_(backend::current().makeMatmul()) {
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

std::unique_ptr<PlanStep> Linear::fuse(std::span<const Epilogue> following) {
  if (following.empty() || following[0].kind != Epilogue::Kind::Relu) return nullptr;
  return std::make_unique<FusedLinearStep>(*this);
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

int64_t Linear::flops(std::span<const Shape> in, const Shape& out) const {
  return 2 * in[0].numel() * out.numel() + (withBias_ ? out.numel() : 0);
}

std::vector<Parameter> Linear::ownParameters() {
  std::vector<Parameter> params{{"weight", &weight_, &gradWeight_, &overwriteGrads_, &weightBf16_}};
  if (withBias_) params.push_back({"bias", &bias_, &gradBias_, &overwriteGrads_});
  return params;
}

void Linear::resetOwn(Generator& gen) {
  double bound = 1.0 / std::sqrt(static_cast<double>(in_));
  uniform(weight_, bound, gen);
  if (withBias_) uniform(bias_, bound, gen);
}

const Tensor& Linear::bf16Weight(bool convert) {
  if (weightBf16_.defined()) return weightBf16_;
  if (convert) {
    weightOwnBf16_.resize(weight_.shape(), DType::BF16);
    backend::toBf16(weight_, weightOwnBf16_);
  }
  return weightOwnBf16_;
}

const Tensor& Linear::asBf16(const Tensor& t, Tensor& scratch) {
  if (t.dtype() == DType::BF16) return t;
  scratch.resize(t.shape(), DType::BF16);
  backend::toBf16(t, scratch);
  return scratch;
}

// input [N, In] (f32 or bf16) -> output [N, Out]
void Linear::updateOutput(const Tensor& input) {
  // Module::forward does not check rank-0 samples (its initial checked shape); none fits here.
  if (input.rank() < 2) outputShape(input.shape().tail());
  const bool bf16 = precision_ == Precision::BF16;
  output_.resize(Shape{input.dim(0), out_}, bf16 && outputBf16_ ? DType::BF16 : DType::F32);
  const Tensor* bias = withBias_ ? &bias_ : nullptr;
  if (!bf16) return matmul_->forward(input, weight_, bias, /*relu=*/false, output_);
  matmul_->forward(asBf16(input, inputBf16_), bf16Weight(true), bias, /*relu=*/false, output_);
}

// gradOutput [N, Out] -> gradInput [N, In], of the input's element type
void Linear::updateGradInput(const Tensor& input, const Tensor& gradOutput) {
  gradInput_.resize(input.shape(), input.dtype());
  if (precision_ != Precision::BF16) return matmul_->backwardData(gradOutput, weight_, gradInput_);
  matmul_->backwardData(asBf16(gradOutput, gradBf16_), bf16Weight(false), gradInput_);
}

void Linear::accGradParameters(const Tensor& input, const Tensor& gradOutput) {
  if (precision_ != Precision::BF16) return addParameterGradients(*matmul_, input, gradOutput);
  // an f32 input was rounded into inputBf16_ by this pass's forward
  const Tensor& x = input.dtype() == DType::BF16 ? input : inputBf16_;
  addParameterGradients(*matmul_, x, asBf16(gradOutput, gradBf16_));
}

namespace {

// column sums of gy [N, Out] (f32 or bf16) into gradBias [Out], added or written
template <class T>
void addColumnSums(const Tensor& gy, Tensor& gradBias, bool accumulate) {
  const int64_t n = gy.dim(0), out = gy.dim(1);
  const T* g = gy.data<T>();
  float* b = gradBias.data();
  if (!accumulate) std::fill(b, b + out, 0.0f);
  for (int64_t s = 0; s < n; ++s)
    for (int64_t j = 0; j < out; ++j) b[j] += static_cast<float>(g[s * out + j]);
}

// columns [first, first + count) of gy [N, Out] into block [N, count], of gy's element type
void copyColumns(const Tensor& gy, int64_t first, int64_t count, Tensor& block) {
  const int64_t n = gy.dim(0), out = gy.dim(1);
  const size_t size = gy.elementSize();
  block.resize(Shape{n, count}, gy.dtype());
  for (int64_t s = 0; s < n; ++s)
    std::memcpy(block.bytes() + s * count * size, gy.bytes() + (s * out + first) * size, count * size);
}

}  // namespace

void Linear::addParameterGradients(backend::MatmulOp& matmul, const Tensor& x, const Tensor& gy) {
  const bool accumulate = !overwriteGrads_;
  overwriteGrads_ = false;
  if (!gradientsWatched() || gradWeight_.numel() < kBlockedGradientElements) {
    matmul.backwardWeights(x, gy, gradWeight_, withBias_ ? &gradBias_ : nullptr, accumulate);
    return;
  }
  if (withBias_) {
    if (gy.dtype() == DType::BF16)
      addColumnSums<bfloat16>(gy, gradBias_, accumulate);
    else
      addColumnSums<float>(gy, gradBias_, accumulate);
    gradientPartReady(gradBias_);
  }
  const int64_t rows = (out_ + kGradientBlocks - 1) / kGradientBlocks;
  for (int64_t last = out_; last > 0; last -= rows) {
    const int64_t first = std::max<int64_t>(0, last - rows);
    copyColumns(gy, first, last - first, gradBlock_);
    Tensor block = gradWeight_.narrow(first, last - first);
    matmul.backwardWeights(x, gradBlock_, block, nullptr, accumulate);
    gradientPartReady(block);
  }
}

SHOAL_REGISTER_LAYER(Linear, {"Linear", {"in", "out", "bias"}, [](const LayerArgs& a) {
  const Shape& in = a.inputShape();
  return std::make_unique<Linear>(a.integer("in", in.rank() == 1 ? in[0] : in.numel()),
                                  a.integer("out"), a.flag("bias", true));
}});

}  // namespace shoal::nn
