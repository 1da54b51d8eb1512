// Embedding layer: index validation, row gather, race-free scatter-add of the weight gradient, and its registration.
#include "shoal/nn/embedding.hpp"

#include <omp.h>

#include <cmath>
#include <cstring>
#include <sstream>
#include <string>
#include <type_traits>

#include "shoal/error.hpp"
#include "shoal/nn/init.hpp"
#include "shoal/nn/layer_registry.hpp"

namespace shoal::nn {
namespace {

// Below this many output elements the kernels run on one thread (the fork costs more).
constexpr int64_t kParallelElements = 1 << 15;

// `shape` with `last` appended, without allocating (Shape has no append; its rank is at most 6).
Shape appended(const Shape& s, int64_t last) {
  switch (s.rank()) {
    case 0: return Shape{last};
    case 1: return Shape{s[0], last};
    case 2: return Shape{s[0], s[1], last};
    case 3: return Shape{s[0], s[1], s[2], last};
    case 4: return Shape{s[0], s[1], s[2], s[3], last};
    default: return Shape{s[0], s[1], s[2], s[3], s[4], last};
  }
}

// Whether `v` is a whole number in [0, count) (NaN and infinities are not).
template <class T>
bool validIndex(T v, int64_t count) {
  if constexpr (std::is_floating_point_v<T>) {
    double d = v;
    return d >= 0.0 && d < static_cast<double>(count) && d == std::floor(d);
  } else {
    return v >= 0 && static_cast<int64_t>(v) < count;
  }
}

// Whether `v` is a whole number (always for integer types; not NaN or an infinity).
template <class T>
bool isWhole(T v) {
  if constexpr (std::is_floating_point_v<T>)
    return std::isfinite(v) && v == std::floor(v);
  else
    return true;
}

// indices [M] -> the position of the first invalid one, or M when all are valid.
template <class T>
int64_t firstInvalid(const T* idx, int64_t m, int64_t count) {
  int64_t first = m;
#pragma omp parallel for reduction(min : first) if (m > kParallelElements)
  for (int64_t i = 0; i < m; ++i)
    if (!validIndex(idx[i], count) && i < first) first = i;
  return first;
}

// indices [M], weight [count, dim] -> out [M, dim]: out[i, :] = weight[idx[i], :].
template <class T>
void gatherRows(const T* idx, int64_t m, const float* weight, int64_t dim, float* out) {
#pragma omp parallel for if (m * dim > kParallelElements)
  for (int64_t i = 0; i < m; ++i)
    std::memcpy(out + i * dim, weight + static_cast<int64_t>(idx[i]) * dim,
                static_cast<size_t>(dim) * sizeof(float));
}

// indices [M], gradOutput [M, dim] -> gradWeight [count, dim] += gradOutput[i, :] at row idx[i],
// except the padding row. Each thread owns a contiguous range of rows and scans every index, so
// repeated indices never race and each row adds its gradients in index order: the same sums on
// any number of threads.
template <class T>
void scatterAddRows(const T* idx, int64_t m, const float* gradOut, int64_t dim, int64_t count,
                    int64_t padding, float* gradWeight) {
#pragma omp parallel if (m * dim > kParallelElements)
  {
    const int64_t threads = omp_get_num_threads(), t = omp_get_thread_num();
    const int64_t lo = count * t / threads, hi = count * (t + 1) / threads;
    for (int64_t i = 0; i < m; ++i) {
      const int64_t row = static_cast<int64_t>(idx[i]);
      if (row < lo || row >= hi || row == padding) continue;
      float* dst = gradWeight + row * dim;
      const float* src = gradOut + i * dim;
#pragma omp simd
      for (int64_t j = 0; j < dim; ++j) dst[j] += src[j];
    }
  }
}

// Calls f(indices) with the index tensor's elements as their own type; `layer` is named (its
// label built) only when the element type cannot hold indices.
template <class F>
void withIndices(const Tensor& t, const Module& layer, F&& f) {
  switch (t.dtype()) {
    case DType::I64: return f(t.data<int64_t>());
    case DType::I32: return f(t.data<int32_t>());
    case DType::F32: return f(t.data<float>());
    default:
      throw InputError(layer.label() + ": expects indices as i64, i32 or f32 whole numbers, got a " +
                       std::string(dtypeName(t.dtype())) + " tensor");
  }
}

// "[3, 1]": the multi-index of flat element `flat` in `shape`.
std::string positionOf(int64_t flat, const Shape& shape) {
  std::string s = "]";
  for (size_t d = shape.rank(); d-- > 0;) {
    s = std::to_string(flat % shape[d]) + s;
    flat /= shape[d];
    if (d > 0) s = ", " + s;
  }
  return "[" + s;
}

template <class T>
std::string valueText(T v) {
  if constexpr (std::is_floating_point_v<T>) {
    std::ostringstream s;
    s.precision(9);
    s << v;
    return s.str();
  } else {
    return std::to_string(v);
  }
}

}  // namespace

Embedding::Embedding(int64_t count, int64_t dim, int64_t paddingIndex)
    : count_(count), dim_(dim), padding_(paddingIndex) {
  if (count_ <= 0 || dim_ <= 0)
    throw UsageError("Embedding: count and dim must be positive, got " + std::to_string(count_) +
                     " -> " + std::to_string(dim_));
  if (padding_ < -1 || padding_ >= count_)
    throw UsageError("Embedding: the padding index must be in [0, " + std::to_string(count_) +
                     ") or -1 for none, got " + std::to_string(padding_));
  weight_ = Tensor(Shape{count_, dim_});
  gradWeight_ = Tensor(Shape{count_, dim_});
  reset(initGenerator());
}

Shape Embedding::outputShape(const Shape& inputShape) const {
  if (inputShape.rank() + 2 > Shape::kMaxRank)
    throw ShapeError(label() + ": samples of shape " + inputShape.str() + " have " +
                     std::to_string(inputShape.rank()) + " dimensions; at most " +
                     std::to_string(Shape::kMaxRank - 2) + " fit (the output adds one)");
  return appended(inputShape, dim_);
}

nlohmann::json Embedding::spec() const {
  return {{"type", typeName()}, {"count", count_}, {"dim", dim_}, {"padding", padding_}};
}

std::string Embedding::describe() const {
  std::string s = "Embedding(" + std::to_string(count_) + " -> " + std::to_string(dim_);
  if (padding_ >= 0) s += ", padding " + std::to_string(padding_);
  return s + ")";
}

std::vector<Parameter> Embedding::ownParameters() { return {{"weight", &weight_, &gradWeight_}}; }

void Embedding::resetOwn(Generator& gen) {
  normal(weight_, 1.0, gen);
  if (padding_ >= 0) std::memset(weight_.data() + padding_ * dim_, 0, dim_ * sizeof(float));
}

void Embedding::checkIndices(const Tensor& input) const {
  withIndices(input, *this, [&](const auto* idx) {
    int64_t bad = firstInvalid(idx, input.numel(), count_);
    if (bad == input.numel()) return;
    auto v = idx[bad];
    std::string range = "[0, " + std::to_string(count_) + ")";
    std::string where = label() + ": index " + valueText(v) + " at position " +
                        positionOf(bad, input.shape()) + " of the batch";
    if (isWhole(v))
      throw InputError(where + " is outside the valid range " + range);
    throw InputError(where + " is not a whole number (indices are integers in " + range + ")");
  });
}

// input [N, ...] indices -> output [N, ..., dim]
void Embedding::updateOutput(const Tensor& input) {
  checkIndices(input);  // before anything is written
  output_.resize(appended(input.shape(), dim_));
  withIndices(input, *this, [&](const auto* idx) {
    gatherRows(idx, input.numel(), weight_.data(), dim_, output_.data());
  });
}

// input [N, ...] -> gradInput [N, ...] of zeros: indices have no gradient.
void Embedding::updateGradInput(const Tensor& input, const Tensor& gradOutput) {
  gradInput_.resize(input.shape());
  gradInput_.fill(0.0f);
}

// input [N, ...] indices, gradOutput [N, ..., dim] -> gradWeight [count, dim] += scattered rows
void Embedding::accGradParameters(const Tensor& input, const Tensor& gradOutput) {
  checkIndices(input);  // a backward with another input than forward's must not write astray
  withIndices(input, *this, [&](const auto* idx) {
    scatterAddRows(idx, input.numel(), gradOutput.data(), dim_, count_, padding_,
                   gradWeight_.data());
  });
}

SHOAL_REGISTER_LAYER(Embedding, {"Embedding", {"count", "dim", "padding"}, [](const LayerArgs& a) {
  int64_t count = a.integer("count"), dim = a.integer("dim"), padding = a.integer("padding", -1);
  if (count <= 0) a.fail("argument \"count\" must be positive, got " + std::to_string(count));
  if (dim <= 0) a.fail("argument \"dim\" must be positive, got " + std::to_string(dim));
  if (padding < -1 || padding >= count)
    a.fail("argument \"padding\" must be in [0, " + std::to_string(count) +
           ") or -1 for none, got " + std::to_string(padding));
  return std::make_unique<Embedding>(count, dim, padding);
}});

}  // namespace shoal::nn
