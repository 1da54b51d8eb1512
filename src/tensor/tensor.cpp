// Tensor storage, views, element types and element-wise copies and conversions.
#include "shoal/tensor/tensor.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <type_traits>

#include "shoal/error.hpp"

namespace shoal {
namespace {

constexpr size_t kAlignment = 64;

std::shared_ptr<std::byte[]> allocate(int64_t count, DType dtype) {
  size_t bytes = static_cast<size_t>(std::max<int64_t>(count, 1)) * dtypeSize(dtype);
  bytes = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  void* p = std::aligned_alloc(kAlignment, bytes);
  if (!p) throw std::bad_alloc();
  std::memset(p, 0, bytes);
  return std::shared_ptr<std::byte[]>(static_cast<std::byte*>(p), [](std::byte* q) { std::free(q); });
}

// Calls f(T{}) with T the C++ element type of `dtype`.
template <class F>
void withElementType(DType dtype, F&& f) {
  switch (dtype) {
    case DType::F32: return f(float{});
    case DType::BF16: return f(bfloat16{});
    case DType::I32: return f(int32_t{});
    case DType::I64: return f(int64_t{});
    case DType::U8: return f(uint8_t{});
  }
}

template <class T>
float toFloat(T value) {
  return static_cast<float>(value);
}

// `value` as T: bfloat16 rounds to nearest even, integers truncate (as static_cast does).
template <class T>
T fromFloat(float value) {
  if constexpr (std::is_same_v<T, bfloat16>)
    return bfloat16(value);
  else
    return static_cast<T>(value);
}

}  // namespace

std::string_view dtypeName(DType dtype) {
  switch (dtype) {
    case DType::F32: return "f32";
    case DType::BF16: return "bf16";
    case DType::I32: return "i32";
    case DType::I64: return "i64";
    case DType::U8: return "u8";
  }
  return "unknown";
}

std::string_view deviceName(Device device) {
  switch (device) {
    case Device::Cpu: return "cpu";
  }
  return "unknown";
}

Tensor::Tensor(const Shape& shape) : Tensor(shape, DType::F32) {}

Tensor::Tensor(const Shape& shape, DType dtype)
    : storage_(allocate(shape.numel(), dtype)), capacity_(shape.numel()), shape_(shape),
      dtype_(dtype) {}

void Tensor::throwWrongDType(DType requested) const {
  throw UsageError("Tensor: " + std::string(dtypeName(requested)) +
                   " elements requested from a tensor of " + std::string(dtypeName(dtype_)) +
                   " elements, shape " + shape_.str() +
                   " (read it as its own type with data<T>() or convert it with toType())");
}

Tensor Tensor::borrowed(const Shape& shape, float* data) {
  if (reinterpret_cast<uintptr_t>(data) % kAlignment != 0)
    throw std::invalid_argument("Tensor::borrowed: memory is not 64-byte aligned");
  Tensor t;
  t.storage_ = std::shared_ptr<std::byte[]>(reinterpret_cast<std::byte*>(data), [](std::byte*) {});
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

void Tensor::setLayout(Layout layout) {
  if (layout == Layout::ChannelsLast && rank() != 4)
    throw UsageError("Tensor: only a 4-d tensor can be channels-last, not " + shape_.str());
  layout_ = layout;
}

Tensor Tensor::view(const Shape& shape) const {
  if (shape.numel() != numel())
    throw ShapeError("view: cannot view " + shape_.str() + " as " + shape.str());
  if (layout_ == Layout::ChannelsLast && shape != shape_)
    throw UsageError("view: the channels-last tensor " + shape_.str() + " cannot be viewed as " +
                     shape.str() + " (convert it with toLayout(Layout::Plain) first)");
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
  Tensor flat = *this;
  flat.layout_ = Layout::Plain;
  return flat.view(Shape{numel()}).narrow(start, length);
}

bool Tensor::fits(const Shape& shape) const { return storage_ && shape.numel() <= capacity_; }

void Tensor::resize(const Shape& shape) {
  if (!fits(shape)) {
    storage_ = allocate(shape.numel(), dtype_);
    offset_ = 0;
    capacity_ = shape.numel();
  }
  shape_ = shape;
  if (shape.rank() != 4) layout_ = Layout::Plain;
}

void Tensor::resize(const Shape& shape, DType dtype) {
  if (dtype != dtype_) {
    storage_.reset();
    dtype_ = dtype;
    offset_ = capacity_ = 0;
  }
  resize(shape);
}

void Tensor::fill(float value) {
  withElementType(dtype_, [&](auto e) {
    using T = decltype(e);
    T* p = data<T>();
    std::fill(p, p + numel(), fromFloat<T>(value));
  });
}

double Tensor::sum() const {
  double total = 0;
  withElementType(dtype_, [&](auto e) {
    using T = decltype(e);
    const T* p = data<T>();
    for (int64_t i = 0; i < numel(); ++i) total += toFloat(p[i]);
  });
  return total;
}

void Tensor::copyFrom(const Tensor& other) {
  if (other.numel() != numel())
    throw ShapeError("copyFrom: " + other.shape_.str() + " into " + shape_.str());
  if (other.layout_ == Layout::ChannelsLast && other.shape_ != shape_)
    throw ShapeError("copyFrom: the channels-last " + other.shape_.str() + " into " + shape_.str());
  layout_ = other.layout_;
  if (other.dtype_ == dtype_) {
    if (numel() > 0) std::memmove(bytes(), other.bytes(), numel() * elementSize());
    return;
  }
  const int64_t n = numel();
  if (dtype_ == DType::F32) {
    float* dst = data();
    withElementType(other.dtype_, [&](auto e) {
      using T = decltype(e);
      const T* src = other.data<T>();
      for (int64_t i = 0; i < n; ++i) dst[i] = toFloat(src[i]);
    });
  } else if (dtype_ == DType::BF16 && other.dtype_ == DType::F32) {
    bfloat16* dst = data<bfloat16>();
    const float* src = other.data();
    for (int64_t i = 0; i < n; ++i) dst[i] = bfloat16(src[i]);
  } else {
    throw UsageError("copyFrom: no conversion from " + std::string(dtypeName(other.dtype_)) +
                     " to " + std::string(dtypeName(dtype_)) +
                     " elements (f32 <-> bf16 and integers -> f32 are supported)");
  }
}

Tensor Tensor::clone() const { return toType(dtype_); }

Tensor Tensor::toType(DType dtype) const {
  Tensor t(shape_, dtype);
  t.copyFrom(*this);
  return t;
}

Tensor Tensor::toLayout(Layout layout) const {
  Tensor t(shape_, dtype_);
  t.setLayout(layout);
  if (layout == layout_) {
    t.copyFrom(*this);
    return t;
  }
  // [N, C, S] <-> [N, S, C], S = H x W
  const int64_t n = dim(0), c = dim(1), s = dim(2) * dim(3), size = static_cast<int64_t>(elementSize());
  const std::byte* from = bytes();
  std::byte* to = t.bytes();
  const bool toChannelsLast = layout == Layout::ChannelsLast;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t k = 0; k < s; ++k) {
        const int64_t plain = (i * c + ch) * s + k, last = (i * s + k) * c + ch;
        std::memcpy(to + (toChannelsLast ? last : plain) * size,
                    from + (toChannelsLast ? plain : last) * size, static_cast<size_t>(size));
      }
  return t;
}

std::vector<float> Tensor::toVector() const {
  if (dtype_ != DType::F32) return toType(DType::F32).toVector();
  return std::vector<float>(data(), data() + numel());
}

void expectShape(const Tensor& t, const Shape& expected, std::string_view what) {
  if (t.shape() != expected)
    throw ShapeError(std::string(what) + ": expected shape " + expected.str() + ", got " + t.shape().str());
}

}  // namespace shoal
