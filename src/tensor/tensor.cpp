// Tensor storage, views and element-wise copies.
#include "shoal/tensor/tensor.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

#include "shoal/error.hpp"

namespace shoal {
namespace {

constexpr size_t kAlignment = 64;

std::shared_ptr<float[]> allocate(int64_t count) {
  size_t bytes = static_cast<size_t>(std::max<int64_t>(count, 1)) * sizeof(float);
  bytes = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  void* p = std::aligned_alloc(kAlignment, bytes);
  if (!p) throw std::bad_alloc();
  std::memset(p, 0, bytes);
  return std::shared_ptr<float[]>(static_cast<float*>(p), [](float* q) { std::free(q); });
}

}  // namespace

Tensor::Tensor(const Shape& shape)
    : storage_(allocate(shape.numel())), capacity_(shape.numel()), shape_(shape) {}

Tensor Tensor::borrowed(const Shape& shape, float* data) {
  if (reinterpret_cast<uintptr_t>(data) % kAlignment != 0)
    throw std::invalid_argument("Tensor::borrowed: memory is not 64-byte aligned");
  Tensor t;
  t.storage_ = std::shared_ptr<float[]>(data, [](float*) {});
  t.capacity_ = shape.numel();
  t.shape_ = shape;
  return t;
}

Tensor Tensor::full(const Shape& shape, float value) {
  Tensor t(shape);
  t.fill(value);
  return t;
}

Tensor Tensor::fromVector(const Shape& shape, const std::vector<float>& values) {
  if (static_cast<int64_t>(values.size()) != shape.numel())
    throw ShapeError("fromVector: " + std::to_string(values.size()) + " values for shape " +
                     shape.str());
  Tensor t(shape);
  std::copy(values.begin(), values.end(), t.data());
  return t;
}

Tensor Tensor::view(const Shape& shape) const {
  if (shape.numel() != numel())
    throw ShapeError("view: cannot view " + shape_.str() + " as " + shape.str());
  Tensor t = *this;
  t.shape_ = shape;
  return t;
}

Tensor Tensor::narrow(int64_t start, int64_t length) const {
  if (rank() == 0 || start < 0 || length < 0 || start + length > dim(0))
    throw ShapeError("narrow: rows [" + std::to_string(start) + ", " +
                     std::to_string(start + length) + ") out of range for " + shape_.str());
  Shape s = shape_;
  s[0] = length;
  Tensor t = *this;
  int64_t row = shape_.tail().numel();
  t.offset_ += start * row;
  t.capacity_ = length * row;
  t.shape_ = s;
  return t;
}

Tensor Tensor::flatSlice(int64_t start, int64_t length) const {
  return view(Shape{numel()}).narrow(start, length);
}

bool Tensor::fits(const Shape& shape) const { return storage_ && shape.numel() <= capacity_; }

void Tensor::resize(const Shape& shape) {
  if (!fits(shape)) {
    storage_ = allocate(shape.numel());
    offset_ = 0;
    capacity_ = shape.numel();
  }
  shape_ = shape;
}

void Tensor::fill(float value) { std::fill(data(), data() + numel(), value); }

double Tensor::sum() const {
  double total = 0;
  const float* p = data();
  for (int64_t i = 0; i < numel(); ++i) total += p[i];
  return total;
}

void Tensor::copyFrom(const Tensor& other) {
  if (other.numel() != numel())
    throw ShapeError("copyFrom: " + other.shape_.str() + " into " + shape_.str());
  if (numel() > 0) std::memmove(data(), other.data(), numel() * sizeof(float));
}

Tensor Tensor::clone() const {
  Tensor t(shape_);
  t.copyFrom(*this);
  return t;
}

std::vector<float> Tensor::toVector() const { return std::vector<float>(data(), data() + numel()); }

void expectShape(const Tensor& t, const Shape& expected, std::string_view what) {
  if (t.shape() != expected)
    throw ShapeError(std::string(what) + ": expected shape " + expected.str() + ", got " + t.shape().str());
}

}  // namespace shoal
