// Shape of an n-d tensor: up to 6 non-negative extents, row-major, stored inline (never allocates).
#pragma once
#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace shoal {

class Shape {
 public:
  static constexpr size_t kMaxRank = 6;

  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  explicit Shape(const std::vector<int64_t>& dims);

  size_t rank() const { return rank_; }
  int64_t operator[](size_t i) const { return dims_[i]; }
  int64_t& operator[](size_t i) { return dims_[i]; }
  std::vector<int64_t> dims() const { return {dims_.begin(), dims_.begin() + rank_}; }
  int64_t numel() const;  // product of the extents; 1 for rank 0
  // The shape without its first extent (a sample's shape from a batch shape).
  Shape tail() const;
  // This shape with `n` prepended (a batch shape from a sample shape).
  Shape withBatch(int64_t n) const;
  std::string str() const;  // "[128, 784]"

  bool operator==(const Shape& o) const;

 private:
  void assign(const int64_t* dims, size_t rank);

  std::array<int64_t, kMaxRank> dims_{};
  size_t rank_ = 0;
};

}  // namespace shoal
