// Shape arithmetic and printing.
#include "shoal/tensor/shape.hpp"

#include <algorithm>

#include "shoal/error.hpp"

namespace shoal {

// Without a temporary vector: shapes are made in every training step, which must not allocate.
Shape::Shape(std::initializer_list<int64_t> dims) { assign(dims.begin(), dims.size()); }

Shape::Shape(const std::vector<int64_t>& dims) { assign(dims.data(), dims.size()); }

void Shape::assign(const int64_t* dims, size_t rank) {
  if (rank > kMaxRank)
    throw ShapeError("shape of rank " + std::to_string(rank) + " exceeds the maximum rank " +
                     std::to_string(kMaxRank));
  rank_ = rank;
  std::copy(dims, dims + rank, dims_.begin());
  for (size_t i = 0; i < rank; ++i)
    if (dims[i] < 0) throw ShapeError("negative extent in shape " + str());
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (size_t i = 0; i < rank_; ++i) n *= dims_[i];
  return n;
}

Shape Shape::tail() const {
  if (rank_ == 0) throw ShapeError("cannot drop the batch extent of a rank-0 shape");
  Shape s;
  s.rank_ = rank_ - 1;
  std::copy(dims_.begin() + 1, dims_.begin() + rank_, s.dims_.begin());
  return s;
}

Shape Shape::withBatch(int64_t n) const {
  if (rank_ == kMaxRank) throw ShapeError("cannot add a batch extent to " + str());
  Shape s;
  s.rank_ = rank_ + 1;
  s.dims_[0] = n;
  std::copy(dims_.begin(), dims_.begin() + rank_, s.dims_.begin() + 1);
  return s;
}

bool Shape::operator==(const Shape& o) const {
  return rank_ == o.rank_ && std::equal(dims_.begin(), dims_.begin() + rank_, o.dims_.begin());
}

std::string Shape::str() const {
  std::string s = "[";
  for (size_t i = 0; i < rank_; ++i) s += (i ? ", " : "") + std::to_string(dims_[i]);
  return s + "]";
}

}  // namespace shoal
