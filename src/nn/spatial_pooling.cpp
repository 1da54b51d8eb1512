// SpatialPooling: argument checks and shapes shared by the pooling layers; the arithmetic is the backend's PoolingOp.
#include "shoal/nn/spatial_pooling.hpp"

#include "shoal/backend/backend.hpp"
#include "shoal/error.hpp"

namespace shoal::nn {
namespace {

std::string pair(int64_t w, int64_t h) {
  return w == h ? std::to_string(w) : std::to_string(w) + "," + std::to_string(h);
}

}  // namespace

SpatialPooling::SpatialPooling(const std::string& layer, backend::PoolingAlgorithm algorithm,
                               int64_t kW, int64_t kH, int64_t dW, int64_t dH, int64_t padW,
                               int64_t padH, bool ceilMode)
    : geometry_(backend::poolingGeometry(layer, kW, kH, dW, dH, padW, padH, ceilMode)),
      pool_(backend::current().makePooling(algorithm, geometry_)) {}

namespace {

// pooledSampleShape for a layer named by `label()`, called only when the kernel does not fit.
template <class Label>
Shape pooledShapeOrThrow(const backend::PoolingGeometry& g, const Shape& in, Label&& label) {
  int64_t oh = backend::poolingOutputSize(in[1], g.kernelH, g.strideH, g.padH, g.ceilMode);
  int64_t ow = backend::poolingOutputSize(in[2], g.kernelW, g.strideW, g.padW, g.ceilMode);
  if (oh < 1 || ow < 1)
    throw ShapeError(label() + ": kernel " + std::to_string(g.kernelH) + "x" +
                     std::to_string(g.kernelW) + " (HxW) is larger than the padded input " +
                     std::to_string(in[1] + 2 * g.padH) + "x" + std::to_string(in[2] + 2 * g.padW) +
                     " (sample shape " + in.str() + ")");
  return Shape{in[0], oh, ow};
}

}  // namespace

Shape pooledSampleShape(const backend::PoolingGeometry& g, const Shape& in, const Module& layer) {
  return pooledShapeOrThrow(g, in, [&] { return layer.label(); });
}

Shape pooledSampleShape(const backend::PoolingGeometry& g, const Shape& in, const std::string& layer) {
  return pooledShapeOrThrow(g, in, [&] { return layer; });
}

Shape SpatialPooling::outputShape(const Shape& in) const {
  if (in.rank() != 3)
    throw ShapeError(label() + ": expected a sample of shape [C, H, W], got " + in.str());
  return pooledSampleShape(geometry_, in, *this);
}

nlohmann::json SpatialPooling::spec() const {
  const auto& g = geometry_;
  return {{"type", typeName()},
          {"kernel", {g.kernelW, g.kernelH}},
          {"stride", {g.strideW, g.strideH}},
          {"pad", {g.padW, g.padH}},
          {"ceil", g.ceilMode}};
}

std::string SpatialPooling::describeGeometry() const {
  const auto& g = geometry_;
  std::string s = std::to_string(g.kernelW) + "x" + std::to_string(g.kernelH);
  if (g.strideW != g.kernelW || g.strideH != g.kernelH)
    s += ", stride " + pair(g.strideW, g.strideH);
  if (g.padW != 0 || g.padH != 0) s += ", pad " + pair(g.padW, g.padH);
  if (g.ceilMode) s += ", ceil";
  return s;
}

std::string SpatialPooling::describe() const { return typeName() + "(" + describeGeometry() + ")"; }

// input [N, C, H, W] -> output [N, C, OH, OW]
void SpatialPooling::updateOutput(const Tensor& input) {
  output_.resize(outputShape(input.shape().tail()).withBatch(input.dim(0)));
  pool_->forward(input, output_);
}

// gradOutput [N, C, OH, OW] -> gradInput [N, C, H, W]
void SpatialPooling::updateGradInput(const Tensor& input, const Tensor& gradOutput) {
  gradInput_.resize(input.shape());
  gradInput_.setLayout(input.layout());
  pool_->backward(gradOutput, gradInput_);
}

}  // namespace shoal::nn
