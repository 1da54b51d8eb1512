// SpatialConvolution: arguments, shapes, initialisation, fusion and registration; arithmetic in the backend.
#include "shoal/nn/spatial_convolution.hpp"

#include <cmath>

#include "shoal/backend/backend.hpp"
#include "shoal/error.hpp"
#include "shoal/nn/layer_registry.hpp"
#include "fused_convolution_step.hpp"

namespace shoal::nn {
namespace {

backend::ConvolutionGeometry geometryOf(int64_t nIn, int64_t nOut, int64_t kW, int64_t kH,
                                        int64_t sW, int64_t sH, int64_t pW, int64_t pH,
                                        int64_t groups, bool withBias) {
  auto fail = [](const std::string& what) { throw UsageError("SpatialConvolution: " + what); };
  if (nIn <= 0 || nOut <= 0)
    fail("plane counts must be positive, got " + std::to_string(nIn) + " -> " +
         std::to_string(nOut));
  if (kW <= 0 || kH <= 0)
    fail("kernel must be positive, got " + std::to_string(kW) + "x" + std::to_string(kH));
  if (sW <= 0 || sH <= 0)
    fail("stride must be positive, got " + std::to_string(sW) + "," + std::to_string(sH));
  if (pW < 0 || pH < 0)
    fail("padding must be non-negative, got " + std::to_string(pW) + "," + std::to_string(pH));
  if (groups <= 0 || nIn % groups != 0 || nOut % groups != 0)
    fail("groups (" + std::to_string(groups) + ") must divide both plane counts (" +
         std::to_string(nIn) + " -> " + std::to_string(nOut) + ")");
  return {.outputPlanes = nOut,
          .kernelH = kH,
          .kernelW = kW,
          .strideH = sH,
          .strideW = sW,
          .padH = pH,
          .padW = pW,
          .groups = groups,
          .withBias = withBias};
}

std::string pair(int64_t w, int64_t h) {
  return w == h ? std::to_string(w) : std::to_string(w) + "," + std::to_string(h);
}

}  // namespace

SpatialConvolution::SpatialConvolution(int64_t nInputPlane, int64_t nOutputPlane, int64_t kernelW,
                                       int64_t kernelH, int64_t strideW, int64_t strideH,
                                       int64_t padW, int64_t padH, int64_t groups, bool withBias)
    : nInputPlane_(nInputPlane),
      geometry_(geometryOf(nInputPlane, nOutputPlane, kernelW, kernelH, strideW, strideH, padW,
                           padH, groups, withBias)),
      weight_(Shape{nOutputPlane, nInputPlane / groups, kernelH, kernelW}),
      bias_(Shape{withBias ? nOutputPlane : 0}),
      gradWeight_(weight_.shape()),
      gradBias_(bias_.shape()),
      conv_(backend::current().makeConvolution(geometry_)) {
  reset(initGenerator());
}

Shape SpatialConvolution::outputShape(const Shape& in) const {
  const auto& g = geometry_;
  if (in.rank() != 3)
    throw ShapeError(label() + ": expected a sample of shape [" + std::to_string(nInputPlane_) +
                     ", H, W], got " + in.str());
  if (in[0] != nInputPlane_)
    throw ShapeError(label() + ": expected " + std::to_string(nInputPlane_) +
                     " input planes, got " + std::to_string(in[0]) + " (sample shape " + in.str() +
                     ")");
  int64_t h = in[1] + 2 * g.padH, w = in[2] + 2 * g.padW;
  if (h < g.kernelH || w < g.kernelW)
    throw ShapeError(label() + ": kernel " + std::to_string(g.kernelH) + "x" +
                     std::to_string(g.kernelW) + " (HxW) is larger than the padded input " +
                     std::to_string(h) + "x" + std::to_string(w) + " (sample shape " + in.str() +
                     ")");
  return Shape{g.outputPlanes, (h - g.kernelH) / g.strideH + 1, (w - g.kernelW) / g.strideW + 1};
}

int64_t SpatialConvolution::flops(std::span<const Shape> in, const Shape& out) const {
  const auto& g = geometry_;
  int64_t perOutput = 2 * (in[0][0] / g.groups) * g.kernelH * g.kernelW;
  return out.numel() * (perOutput + (g.withBias ? 1 : 0));
}

nlohmann::json SpatialConvolution::spec() const {
  const auto& g = geometry_;
  return {{"type", typeName()},
          {"in", nInputPlane_},
          {"out", g.outputPlanes},
          {"kernel", {g.kernelW, g.kernelH}},
          {"stride", {g.strideW, g.strideH}},
          {"pad", {g.padW, g.padH}},
          {"groups", g.groups},
          {"bias", g.withBias}};
}

std::string SpatialConvolution::describe() const {
  const auto& g = geometry_;
  std::string s = typeName() + "(" + std::to_string(nInputPlane_) + " -> " +
                  std::to_string(g.outputPlanes) + ", " + std::to_string(g.kernelW) + "x" +
                  std::to_string(g.kernelH);
  if (g.strideW != 1 || g.strideH != 1) s += ", stride " + pair(g.strideW, g.strideH);
  if (g.padW != 0 || g.padH != 0) s += ", pad " + pair(g.padW, g.padH);
  if (g.groups != 1) s += ", groups " + std::to_string(g.groups);
  if (!g.withBias) s += ", no bias";
  return s + ")";
}

std::vector<Parameter> SpatialConvolution::ownParameters() {
  std::vector<Parameter> params{{"weight", &weight_, &gradWeight_}};
  if (geometry_.withBias) params.push_back({"bias", &bias_, &gradBias_});
  return params;
}

void SpatialConvolution::resetOwn(Generator& gen) {
  const auto& g = geometry_;
  double fanIn = static_cast<double>(nInputPlane_ / g.groups * g.kernelH * g.kernelW);
  float bound = static_cast<float>(1.0 / std::sqrt(fanIn));
  std::uniform_real_distribution<float> dist(-bound, bound);
  for (int64_t i = 0; i < weight_.numel(); ++i) weight_[i] = dist(gen);
  for (int64_t i = 0; i < bias_.numel(); ++i) bias_[i] = dist(gen);
}

std::unique_ptr<PlanStep> SpatialConvolution::fuse(std::span<const Epilogue> following) {
  FusedConvolutionStep::Epilogues taken;
  size_t i = 0;
  if (i < following.size() && following[i].kind == Epilogue::Kind::Relu) taken.relu = true, ++i;
  if (i < following.size() && following[i].kind == Epilogue::Kind::MaxPooling) {
    const backend::PoolingGeometry& pool = following[i].pooling;
    if (pool.kernelH * pool.kernelW <= backend::ConvolutionOp::kMaxFusedPoolingWindow) {
      taken.maxPooling = pool;
      taken.poolingLabel = following[i].label;
      ++i;
    }
  }
  if (i == 0) return nullptr;
  return std::make_unique<FusedConvolutionStep>(*this, taken);
}

void SpatialConvolution::precisionChanged() {
  if (nInputPlane_ / geometry_.groups < kBf16MinPlanes) precision_ = Precision::F32;
  conv_->setComputeType(precision_ == Precision::BF16 ? DType::BF16 : DType::F32);
  setOutputBf16(false);
}

void SpatialConvolution::setOutputBf16(bool bf16) {
  const DType type = bf16 && precision_ == Precision::BF16 ? DType::BF16 : DType::F32;
  if (type == outputType_) return;  // the primitives made stay
  outputType_ = type;
  conv_->setOutputType(type);
}

void SpatialConvolution::setOutputChannelsLast(bool channelsLast) {
  const Layout layout = channelsLast ? Layout::ChannelsLast : Layout::Plain;
  if (layout == outputLayout_) return;  // the primitives made stay
  outputLayout_ = layout;
  conv_->setOutputLayout(layout);
}

// input [N, In, H, W] -> output [N, Out, OH, OW] (each plain or channels-last)
void SpatialConvolution::updateOutput(const Tensor& input) {
  output_.resize(outputShape(input.shape().tail()).withBatch(input.dim(0)), outputType_);
  output_.setLayout(outputLayout_);
  conv_->forward(input, weight_, bias_, output_);
}

// gradOutput [N, Out, OH, OW] -> gradInput [N, In, H, W] in the input's layout
void SpatialConvolution::updateGradInput(const Tensor& input, const Tensor& gradOutput) {
  gradInput_.resize(input.shape(), DType::F32);
  gradInput_.setLayout(input.layout());
  conv_->backwardData(f32Gradient(gradOutput), weight_, gradInput_);
}

const Tensor& SpatialConvolution::f32Gradient(const Tensor& gradOutput) {
  if (gradOutput.dtype() == DType::F32) return gradOutput;
  gradOutputF32_.resize(gradOutput.shape(), DType::F32);  // from a module passing bf16 (Linear)
  gradOutputF32_.copyFrom(gradOutput);
  return gradOutputF32_;
}

// gradWeight += dL/dweight, gradBias += dL/dbias
void SpatialConvolution::accGradParameters(const Tensor& input, const Tensor& gradOutput) {
  conv_->backwardWeights(input, f32Gradient(gradOutput), gradWeight_, gradBias_);
}

SHOAL_REGISTER_LAYER(SpatialConvolution, {"SpatialConvolution",
                                          {"in", "out", "kernel", "stride", "pad", "groups", "bias"},
                                          [](const LayerArgs& a) {
  auto [kW, kH] = a.kernel();
  auto [sW, sH] = a.pair("stride", {1, 1});
  auto [pW, pH] = a.pair("pad", {0, 0});
  return std::make_unique<SpatialConvolution>(a.integer("in", a.inputShape().rank() ? a.inputShape()[0] : 0),
                                              a.integer("out"), kW, kH, sW, sH, pW, pH,
                                              a.integer("groups", 1), a.flag("bias", true));
}});

}  // namespace shoal::nn
