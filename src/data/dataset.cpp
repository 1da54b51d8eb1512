// Dataset: validation of samples, labels and targets, and normalised batch gathering.
#include "shoal/data/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "shoal/error.hpp"

namespace shoal::data {
namespace {

// The sample count implied by `values` values of `numel` each, checked against the labels.
int64_t checkedSize(const char* what, const Shape& sampleShape, size_t values,
                    const std::vector<int32_t>& labels, int numClasses) {
  int64_t numel = sampleShape.numel();
  if (sampleShape.rank() == 0 || numel <= 0)
    throw ShapeError(std::string(what) + ": sample shape " + sampleShape.str() +
                     " must have at least one element");
  if (sampleShape.rank() == Shape::kMaxRank)
    throw ShapeError(std::string(what) + ": sample shape " + sampleShape.str() +
                     " leaves no room for the batch extent");
  int64_t size =
      labels.empty() ? static_cast<int64_t>(values) / numel : static_cast<int64_t>(labels.size());
  if (static_cast<int64_t>(values) != size * numel)
    throw ShapeError(std::string(what) + ": " + std::to_string(values) + " values do not hold " +
                     (labels.empty() ? "a whole number of" : std::to_string(size)) +
                     " samples of shape " + sampleShape.str() +
                     (labels.empty() ? "" : " (one per label)"));
  if (!labels.empty()) {
    if (numClasses <= 0)
      throw UsageError(std::string(what) + ": labelled data needs a positive class count, got " +
                       std::to_string(numClasses));
    for (size_t i = 0; i < labels.size(); ++i)
      if (labels[i] < 0 || labels[i] >= numClasses)
        throw UsageError(std::string(what) + ": label " + std::to_string(labels[i]) +
                         " of sample " + std::to_string(i) + " is outside [0, " +
                         std::to_string(numClasses) + ")");
  }
  return size;
}

constexpr int64_t kParallelFrom = 1 << 15;  // smaller batches are gathered on the calling thread

// out[i, f] = p(in[index[i], f]) for a [n, width] batch; T is uint8_t or float, Out float or
// bfloat16 (rounded once, from the preprocessed float). Rows are split over the OpenMP threads:
// the rows sit at random places, so the gather waits on memory.
template <typename T, typename Out>
void gatherRows(const T* source, int64_t width, std::span<const int64_t> indices,
                const Preprocessing& p, Out* out) {
  const int64_t n = static_cast<int64_t>(indices.size());
  const bool parallel = n * width >= kParallelFrom;
  if (p.broadcast()) {
    const float offset = p.offset[0];
    const float scale = p.scale[0];
#pragma omp parallel for if (parallel)
    for (int64_t i = 0; i < n; ++i) {
      const T* row = source + indices[i] * width;
      Out* to = out + i * width;
      for (int64_t f = 0; f < width; ++f)
        to[f] = Out((static_cast<float>(row[f]) - offset) * scale);
    }
    return;
  }
  const size_t offsetStride = p.offset.size() == 1 ? 0 : 1;
  const size_t scaleStride = p.scale.size() == 1 ? 0 : 1;
  const float* offset = p.offset.data();
  const float* scale = p.scale.data();
#pragma omp parallel for if (parallel)
  for (int64_t i = 0; i < n; ++i) {
    const T* row = source + indices[i] * width;
    Out* to = out + i * width;
    for (int64_t f = 0; f < width; ++f)
      to[f] = Out((static_cast<float>(row[f]) - offset[f * offsetStride]) * scale[f * scaleStride]);
  }
}

}  // namespace

Dataset Dataset::over(const char* what, Shape sampleShape, size_t values,
                      std::vector<int32_t> labels, int numClasses, std::shared_ptr<const void> storage) {
  Dataset d;
  d.size_ = checkedSize(what, sampleShape, values, labels, numClasses);
  d.sampleShape_ = sampleShape;
  d.numClasses_ = numClasses;
  d.storage_ = std::move(storage);
  d.labels_ = std::move(labels);
  return d;
}

Dataset Dataset::fromBytes(Shape sampleShape, std::vector<uint8_t> pixels,
                           std::vector<int32_t> labels, int numClasses) {
  auto owned = std::make_shared<const std::vector<uint8_t>>(std::move(pixels));
  const uint8_t* data = owned->data();
  const size_t values = owned->size();
  Dataset d = over("Dataset::fromBytes", sampleShape, values, std::move(labels), numClasses, std::move(owned));
  d.bytes_ = data;
  return d;
}

Dataset Dataset::fromFloats(Shape sampleShape, std::vector<float> features,
                            std::vector<int32_t> labels, int numClasses) {
  auto owned = std::make_shared<const std::vector<float>>(std::move(features));
  const float* data = owned->data();
  const size_t values = owned->size();
  Dataset d = over("Dataset::fromFloats", sampleShape, values, std::move(labels), numClasses, std::move(owned));
  d.floats_ = data;
  return d;
}

namespace {

// The values `count` samples of `shape` hold (none for a negative count).
size_t valuesOf(int64_t count, const Shape& shape) {
  return static_cast<size_t>(std::max<int64_t>(0, count) * shape.numel());
}

}  // namespace

Dataset Dataset::borrowBytes(Shape sampleShape, const uint8_t* pixels, int64_t count,
                             std::vector<int32_t> labels, int numClasses, std::shared_ptr<const void> owner) {
  Dataset d = over("Dataset::borrowBytes", sampleShape, valuesOf(count, sampleShape), std::move(labels),
                   numClasses, std::move(owner));
  d.bytes_ = pixels;
  return d;
}

Dataset Dataset::borrowFloats(Shape sampleShape, const float* features, int64_t count,
                              std::vector<int32_t> labels, int numClasses, std::shared_ptr<const void> owner) {
  Dataset d = over("Dataset::borrowFloats", sampleShape, valuesOf(count, sampleShape), std::move(labels),
                   numClasses, std::move(owner));
  d.floats_ = features;
  return d;
}

void Dataset::setTargets(std::vector<float> values, int64_t width) {
  if (!labels_.empty()) throw UsageError("a data set has class labels or numeric targets, not both");
  if (width < 1 || static_cast<int64_t>(values.size()) != size_ * width)
    throw ShapeError("numeric targets: " + std::to_string(values.size()) + " values do not give " +
                     std::to_string(size_) + " samples " + std::to_string(width) + " values each");
  for (size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i]))
      throw UsageError("numeric targets: value " + std::to_string(i % width) + " of sample " +
                       std::to_string(i / width) + " is not a finite number");
  targets_ = std::move(values);
  targetWidth_ = width;
}

void Dataset::setPreprocessing(Preprocessing p) {
  p.check(sampleShape_.numel());
  preprocessing_ = std::move(p);
}

std::vector<float> Dataset::rawFeatures() const {
  const size_t values = static_cast<size_t>(size_ * sampleShape_.numel());
  if (bytes_) return std::vector<float>(bytes_, bytes_ + values);
  if (floats_) return std::vector<float>(floats_, floats_ + values);
  return {};
}

void Dataset::gather(std::span<const int64_t> indices, Tensor& input, Tensor& target) const {
  const int64_t n = static_cast<int64_t>(indices.size());
  for (int64_t index : indices)
    if (index < 0 || index >= size_)
      throw UsageError("Dataset::gather: sample index " + std::to_string(index) +
                       " is outside [0, " + std::to_string(size_) + ")");
  // N batch; the rest is the sample's shape, e.g. [N, 1, 28, 28] or [N, In].
  input.resize(sampleShape_.withBatch(n));
  target.resize(targetWidth_ > 0 ? Shape{n, targetWidth_} : Shape{n});
  const int64_t width = sampleShape_.numel();
  auto gatherInto = [&](auto* out) {
    if (bytes_)
      gatherRows(bytes_, width, indices, preprocessing_, out);
    else
      gatherRows(floats_, width, indices, preprocessing_, out);
  };
  if (input.dtype() == DType::BF16)
    gatherInto(input.data<bfloat16>());
  else
    gatherInto(input.data());
  float* labels = target.data();
  if (targetWidth_ > 0) {
    for (int64_t i = 0; i < n; ++i)
      std::copy_n(targets_.data() + indices[i] * targetWidth_, targetWidth_, labels + i * targetWidth_);
    return;
  }
  if (labels_.empty()) {
    std::fill(labels, labels + n, -1.0f);
    return;
  }
  for (int64_t i = 0; i < n; ++i) labels[i] = static_cast<float>(labels_[indices[i]]);
}

void Dataset::reshapeSamples(const Shape& sampleShape) {
  if (sampleShape.numel() != sampleShape_.numel())
    throw ShapeError("cannot view samples of shape " + sampleShape_.str() + " as " + sampleShape.str());
  sampleShape_ = sampleShape;
}

Dataset Dataset::head(int64_t count) const {
  return slice(0, std::clamp<int64_t>(count, 0, size_), 1);
}

Dataset Dataset::slice(int64_t first, int64_t count, int64_t stride) const {
  if (first < 0 || count < 0 || stride < 1 || (count > 0 && first + (count - 1) * stride >= size_))
    throw UsageError("data set slice out of range");
  std::vector<int64_t> indices(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) indices[i] = first + i * stride;
  return select(indices);
}

Dataset Dataset::select(std::span<const int64_t> indices) const {
  for (int64_t at : indices)
    if (at < 0 || at >= size_)
      throw UsageError("data set index " + std::to_string(at) + " out of range (" + std::to_string(size_) +
                       " samples)");
  const int64_t width = sampleShape_.numel(), count = static_cast<int64_t>(indices.size());
  Dataset d;
  d.sampleShape_ = sampleShape_;
  d.size_ = count;
  d.numClasses_ = numClasses_;
  d.preprocessing_ = preprocessing_;
  // The rows at `indices` of `from` (perSample values each), copied.
  auto copyRows = [&](const auto* from, int64_t perSample) {
    using T = std::remove_const_t<std::remove_pointer_t<decltype(from)>>;
    std::vector<T> to(static_cast<size_t>(count * perSample));
    for (int64_t i = 0; i < count; ++i) {
      const T* begin = from + indices[i] * perSample;
      std::copy(begin, begin + perSample, to.begin() + i * perSample);
    }
    return to;
  };
  if (bytes_) {
    auto owned = std::make_shared<const std::vector<uint8_t>>(copyRows(bytes_, width));
    d.bytes_ = owned->data();
    d.storage_ = std::move(owned);
  } else if (floats_) {
    auto owned = std::make_shared<const std::vector<float>>(copyRows(floats_, width));
    d.floats_ = owned->data();
    d.storage_ = std::move(owned);
  }
  if (!labels_.empty()) d.labels_ = copyRows(labels_.data(), 1);
  if (targetWidth_ > 0) {
    d.targets_ = copyRows(targets_.data(), targetWidth_);
    d.targetWidth_ = targetWidth_;
  }
  return d;
}

}  // namespace shoal::data
