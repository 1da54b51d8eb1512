// Tensor layouts: where channels-last puts each element, conversions, and what views and copies keep.
#include <gtest/gtest.h>

#include "shoal/error.hpp"
#include "shoal/tensor/tensor.hpp"

using namespace shoal;

namespace {

Tensor counting(const Shape& shape) {
  Tensor t(shape);
  for (int64_t i = 0; i < t.numel(); ++i) t[i] = static_cast<float>(i);
  return t;
}

}  // namespace

TEST(TensorLayout, ChannelsLastPutsTheChannelInnermost) {
  const int64_t n = 2, c = 3, h = 2, w = 5;
  Tensor plain = counting(Shape{n, c, h, w});
  Tensor last = plain.toLayout(Layout::ChannelsLast);
  EXPECT_EQ(last.layout(), Layout::ChannelsLast);
  EXPECT_EQ(last.shape(), plain.shape());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x)
          EXPECT_EQ(last[((i * h + y) * w + x) * c + ch], plain[((i * c + ch) * h + y) * w + x]);
  Tensor back = last.toLayout(Layout::Plain);
  EXPECT_EQ(back.layout(), Layout::Plain);
  EXPECT_EQ(back.toVector(), plain.toVector());
}

TEST(TensorLayout, Bf16ConvertsToo) {
  Tensor plain = counting(Shape{1, 2, 1, 3}).toType(DType::BF16);
  Tensor last = plain.toLayout(Layout::ChannelsLast);
  EXPECT_EQ(last.dtype(), DType::BF16);
  EXPECT_EQ(last.toVector(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
}

TEST(TensorLayout, CopiesRowsAndResizesKeepTheLayout) {
  Tensor last = counting(Shape{4, 2, 3, 3}).toLayout(Layout::ChannelsLast);
  EXPECT_EQ(last.clone().layout(), Layout::ChannelsLast);
  EXPECT_EQ(last.toType(DType::BF16).layout(), Layout::ChannelsLast);
  EXPECT_EQ(last.narrow(1, 2).layout(), Layout::ChannelsLast);
  EXPECT_EQ(last.view(last.shape()).layout(), Layout::ChannelsLast);
  Tensor into(Shape{4, 2, 3, 3});
  into.copyFrom(last);
  EXPECT_EQ(into.layout(), Layout::ChannelsLast);
  into.resize(Shape{2, 2, 3, 3});
  EXPECT_EQ(into.layout(), Layout::ChannelsLast);
  into.resize(Shape{36});
  EXPECT_EQ(into.layout(), Layout::Plain);
  EXPECT_EQ(last.flatSlice(0, 4).layout(), Layout::Plain);  // memory order
}

TEST(TensorLayout, ChannelsLastIsRefusedWhereItHasNoMeaning) {
  Tensor last = counting(Shape{2, 2, 2, 2}).toLayout(Layout::ChannelsLast);
  EXPECT_THROW(last.view(Shape{2, 8}), UsageError);
  Tensor flat(Shape{2, 8});
  EXPECT_THROW(flat.copyFrom(last), ShapeError);
  EXPECT_THROW(flat.setLayout(Layout::ChannelsLast), UsageError);
  EXPECT_THROW(flat.toLayout(Layout::ChannelsLast), UsageError);
}
