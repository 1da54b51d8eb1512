// Tensor: typed (float32 by default), n-d, contiguous (row-major or channels-last), on 64-byte-aligned shared storage; views share it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shoal/tensor/device.hpp"
#include "shoal/tensor/dtype.hpp"
#include "shoal/tensor/layout.hpp"
#include "shoal/tensor/shape.hpp"

namespace shoal {

class Tensor {
 public:
  Tensor() = default;
  // A new zero-filled float32 tensor that owns its storage.
  explicit Tensor(const Shape& shape);
  // A new zero-filled tensor of `dtype` that owns its storage.
  Tensor(const Shape& shape, DType dtype);
  static Tensor zeros(const Shape& shape, DType dtype = DType::F32) { return Tensor(shape, dtype); }
  static Tensor full(const Shape& shape, float value);
  static Tensor fromVector(const Shape& shape, const std::vector<float>& values);
  // A float32 tensor over memory it does not own (64-byte aligned, at least shape.numel()
  // floats), which must outlive the tensor and its views.
  static Tensor borrowed(const Shape& shape, float* data);

  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  size_t rank() const { return shape_.rank(); }
  int64_t dim(size_t i) const { return shape_[i]; }
  int64_t numel() const { return shape_.numel(); }
  DType dtype() const { return dtype_; }
  Device device() const { return device_; }
  size_t elementSize() const { return dtypeSize(dtype_); }
  // The order of the elements in memory: plain (row-major) unless set channels-last, which only a
  // 4-d tensor can be (UsageError otherwise). Views of the same shape, rows (narrow), copies and
  // resizes to another 4-d shape keep it; a resize to another rank makes the tensor plain.
  Layout layout() const { return layout_; }
  void setLayout(Layout layout);

  // The float32 elements; throws UsageError when the tensor holds another element type.
  float* data() { return data<float>(); }
  const float* data() const { return data<float>(); }
  // The elements as T (float, bfloat16, int32_t, int64_t, uint8_t); throws UsageError unless
  // T is the tensor's element type.
  template <class T>
  T* data() {
    expectDType(dtypeOf<T>());
    return reinterpret_cast<T*>(bytes());
  }
  template <class T>
  const T* data() const {
    expectDType(dtypeOf<T>());
    return reinterpret_cast<const T*>(bytes());
  }
  // The first element's bytes, whatever the element type (nullptr when undefined).
  std::byte* bytes() { return storage_ ? storage_.get() + offset_ * elementSize() : nullptr; }
  const std::byte* bytes() const {
    return storage_ ? storage_.get() + offset_ * elementSize() : nullptr;
  }
  float& operator[](int64_t i) { return data()[i]; }
  float operator[](int64_t i) const { return data()[i]; }

  // The same elements under another shape with the same element count (no copy); a
  // channels-last tensor only under its own shape (UsageError otherwise: toLayout first).
  Tensor view(const Shape& shape) const;
  // Rows [start, start + length) along the first dimension (no copy).
  Tensor narrow(int64_t start, int64_t length) const;
  // Elements [start, start + length) of the flattened tensor, in memory order, as a 1-d plain
  // view (no copy).
  Tensor flatSlice(int64_t start, int64_t length) const;

  // Gives the tensor `shape`, reusing the storage when it is large enough: a buffer sized for
  // the largest batch never allocates again. Allocating detaches it from other views. The
  // element type stays.
  void resize(const Shape& shape);
  // The same, giving the tensor `dtype` elements (allocating when the type changes).
  void resize(const Shape& shape, DType dtype);
  // True when the storage is large enough to hold `shape` without allocating.
  bool fits(const Shape& shape) const;

  // Sets every element to `value` (rounded to the element type).
  void fill(float value);
  // Sum of all elements, accumulated in double (NaN or infinite when any element is).
  double sum() const;
  // Copies the elements of `other`, which must have the same element count, converting them:
  // any type to its own, float32 <-> bfloat16 (round to nearest even), integers -> float32.
  // Other conversions throw UsageError. The elements are copied in memory order and the tensor
  // takes `other`'s layout; a channels-last `other` must have the tensor's shape (ShapeError).
  void copyFrom(const Tensor& other);
  Tensor clone() const;
  // A new tensor of `dtype` with this tensor's shape and converted elements (as copyFrom does;
  // a copy even when `dtype` is the tensor's own).
  Tensor toType(DType dtype) const;
  // A new tensor with the same elements in `layout`'s order (a copy even when it is the
  // tensor's own); channels-last needs a 4-d tensor (UsageError).
  Tensor toLayout(Layout layout) const;
  // The elements as floats (converted when the tensor holds another type), in memory order.
  std::vector<float> toVector() const;
  // True when both tensors view the same first element.
  bool sharesData(const Tensor& other) const { return bytes() == other.bytes(); }

 private:
  // Throws UsageError unless the tensor holds `dtype` elements.
  void expectDType(DType dtype) const {
    if (dtype != dtype_) throwWrongDType(dtype);
  }
  [[noreturn]] void throwWrongDType(DType requested) const;

  std::shared_ptr<std::byte[]> storage_;
  int64_t offset_ = 0;    // elements from the start of storage_
  int64_t capacity_ = 0;  // elements available from offset_
  Shape shape_;
  DType dtype_ = DType::F32;
  Layout layout_ = Layout::Plain;
  Device device_ = Device::Cpu;
};

// Checks that `t` has `expected` shape; otherwise throws ShapeError naming `what`.
void expectShape(const Tensor& t, const Shape& expected, std::string_view what);

}  // namespace shoal
