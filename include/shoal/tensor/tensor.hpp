// Tensor: float32, n-d, row-major, contiguous, on 64-byte-aligned shared storage; views share it.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shoal/tensor/shape.hpp"

namespace shoal {

class Tensor {
 public:
  Tensor() = default;
  // A new zero-filled tensor that owns its storage.
  explicit Tensor(const Shape& shape);
  static Tensor full(const Shape& shape, float value);
  static Tensor fromVector(const Shape& shape, const std::vector<float>& values);
  // A tensor over memory it does not own (64-byte aligned, at least shape.numel() floats), which
  // must outlive the tensor and its views.
  static Tensor borrowed(const Shape& shape, float* data);

  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  size_t rank() const { return shape_.rank(); }
  int64_t dim(size_t i) const { return shape_[i]; }
  int64_t numel() const { return shape_.numel(); }
  float* data() { return storage_ ? storage_.get() + offset_ : nullptr; }
  const float* data() const { return storage_ ? storage_.get() + offset_ : nullptr; }
  float& operator[](int64_t i) { return data()[i]; }
  float operator[](int64_t i) const { return data()[i]; }

  // The same elements under another shape with the same element count (no copy).
  Tensor view(const Shape& shape) const;
  // Rows [start, start + length) along the first dimension (no copy).
  Tensor narrow(int64_t start, int64_t length) const;
  // Elements [start, start + length) of the flattened tensor as a 1-d view (no copy).
  Tensor flatSlice(int64_t start, int64_t length) const;

  // Gives the tensor `shape`, reusing the storage when it is large enough: a buffer sized for
  // the largest batch never allocates again. Allocating detaches it from other views.
  void resize(const Shape& shape);
  // True when the storage is large enough to hold `shape` without allocating.
  bool fits(const Shape& shape) const;

  void fill(float value);
  // Sum of all elements, accumulated in double (NaN or infinite when any element is).
  double sum() const;
  // Copies the elements of `other`, which must have the same element count.
  void copyFrom(const Tensor& other);
  Tensor clone() const;
  std::vector<float> toVector() const;
  // True when both tensors view the same first element.
  bool sharesData(const Tensor& other) const { return data() == other.data(); }

 private:
  std::shared_ptr<float[]> storage_;
  int64_t offset_ = 0;
  int64_t capacity_ = 0;  // elements available from offset_
  Shape shape_;
};

// Checks that `t` has `expected` shape; otherwise throws ShapeError naming `what`.
void expectShape(const Tensor& t, const Shape& expected, std::string_view what);

}  // namespace shoal
