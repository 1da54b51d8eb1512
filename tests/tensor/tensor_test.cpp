// Tensor storage, views and shape checks.
#include "shoal/tensor/tensor.hpp"

#include <gtest/gtest.h>

#include <cstdint>

#include "shoal/error.hpp"

using shoal::Shape;
using shoal::Tensor;

TEST(Tensor, StorageIs64ByteAlignedAndZeroed) {
  Tensor t(Shape{3, 5});
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data()) % 64, 0u);
  EXPECT_EQ(t.numel(), 15);
  for (int64_t i = 0; i < t.numel(); ++i) EXPECT_EQ(t[i], 0.0f);
}

TEST(Tensor, BorrowedMemoryIsViewedNotCopied) {
  alignas(64) float memory[32] = {};
  Tensor t = Tensor::borrowed(Shape{4, 8}, memory);
  EXPECT_EQ(t.data(), memory);
  t[9] = 3.0f;
  EXPECT_EQ(memory[9], 3.0f);
  EXPECT_THROW(Tensor::borrowed(Shape{4}, memory + 1), std::invalid_argument);
}

TEST(Tensor, ViewsShareStorage) {
  Tensor t = Tensor::fromVector(Shape{2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor v = t.view(Shape{3, 2});
  v[5] = 60;
  EXPECT_EQ(t[5], 60);
  Tensor row = t.narrow(1, 1);
  EXPECT_EQ(row.shape(), (Shape{1, 3}));
  EXPECT_EQ(row[0], 4);
  Tensor s = t.flatSlice(2, 3);
  EXPECT_EQ(s.toVector(), (std::vector<float>{3, 4, 5}));
}

TEST(Tensor, ResizeReusesStorageWhenItFits) {
  Tensor t(Shape{4, 8});
  const float* before = t.data();
  t.resize(Shape{2, 8});
  EXPECT_EQ(t.data(), before);
  t.resize(Shape{4, 8});
  EXPECT_EQ(t.data(), before);
  t.resize(Shape{5, 8});
  EXPECT_NE(t.data(), nullptr);
  EXPECT_EQ(t.shape(), (Shape{5, 8}));
}

TEST(Tensor, BadShapesThrowWithBothShapes) {
  Tensor t(Shape{2, 3});
  try {
    t.view(Shape{4, 2});
    FAIL() << "view with a different element count must throw";
  } catch (const shoal::ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("[2, 3]"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("[4, 2]"), std::string::npos);
  }
  EXPECT_THROW(t.narrow(1, 2), shoal::ShapeError);
  EXPECT_THROW(shoal::expectShape(t, Shape{3, 2}, "weights"), shoal::ShapeError);
  EXPECT_THROW(Shape({1, 2, 3, 4, 5, 6, 7}), shoal::ShapeError);
}
