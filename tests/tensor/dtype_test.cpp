// Typed tensors: element types, bfloat16 rounding, conversions and checked access.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "shoal/error.hpp"
#include "shoal/tensor/bfloat16.hpp"
#include "shoal/tensor/tensor.hpp"

using shoal::bfloat16;
using shoal::bfloat16Bits;
using shoal::DType;
using shoal::Shape;
using shoal::Tensor;

namespace {

uint16_t bitsOf(uint32_t floatBits) { return bfloat16Bits(std::bit_cast<float>(floatBits)); }

}  // namespace

TEST(BFloat16, RoundsToNearestEven) {
  EXPECT_EQ(bfloat16Bits(1.0f), 0x3f80);
  EXPECT_EQ(bfloat16Bits(3.14159f), 0x4049);
  EXPECT_EQ(bfloat16Bits(-2.0f), 0xc000);
  EXPECT_EQ(bfloat16Bits(-0.0f), 0x8000);
  EXPECT_EQ(bitsOf(0x3f808000), 0x3f80);  // a tie rounds to the even 0x3f80
  EXPECT_EQ(bitsOf(0x3f818000), 0x3f82);  // a tie rounds to the even 0x3f82
  EXPECT_EQ(bitsOf(0x3f808001), 0x3f81);  // above the tie rounds up
  EXPECT_EQ(bitsOf(0x3f807fff), 0x3f80);  // below the tie rounds down
  EXPECT_EQ(bfloat16Bits(std::numeric_limits<float>::max()), 0x7f80);  // overflows to infinity
  EXPECT_EQ(bfloat16Bits(std::numeric_limits<float>::infinity()), 0x7f80);
  EXPECT_FLOAT_EQ(static_cast<float>(bfloat16::fromBits(0x4049)), 3.140625f);
}

TEST(BFloat16, NanStaysNan) {
  EXPECT_TRUE(std::isnan(static_cast<float>(bfloat16(std::numeric_limits<float>::quiet_NaN()))));
  // A NaN whose payload lies only in the dropped bits must not become infinity.
  EXPECT_TRUE(std::isnan(shoal::bfloat16ToFloat(bitsOf(0x7f800001))));
  EXPECT_TRUE(std::isnan(shoal::bfloat16ToFloat(bitsOf(0xffffffff))));
  EXPECT_EQ(bitsOf(0xffc00000) & 0x8000, 0x8000);  // the sign stays
}

TEST(TensorDType, NamesSizesAndDefaults) {
  EXPECT_EQ(shoal::dtypeName(DType::BF16), "bf16");
  EXPECT_EQ(shoal::dtypeName(DType::I64), "i64");
  EXPECT_EQ(shoal::dtypeSize(DType::U8), 1u);
  Tensor f(Shape{2, 3});
  EXPECT_EQ(f.dtype(), DType::F32);
  EXPECT_EQ(f.device(), shoal::Device::Cpu);
  EXPECT_EQ(shoal::deviceName(f.device()), "cpu");
  Tensor h = Tensor::zeros(Shape{3, 5}, DType::BF16);
  EXPECT_EQ(h.dtype(), DType::BF16);
  EXPECT_EQ(h.elementSize(), 2u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(h.bytes()) % 64, 0u);
  EXPECT_EQ(h.sum(), 0.0);
}

TEST(TensorDType, WrongTypeAccessThrows) {
  Tensor h(Shape{4}, DType::BF16);
  EXPECT_THROW(h.data(), shoal::UsageError);
  EXPECT_THROW(h[0], shoal::UsageError);
  EXPECT_THROW(h.data<int32_t>(), shoal::UsageError);
  EXPECT_NO_THROW(h.data<bfloat16>());
  Tensor f(Shape{4});
  EXPECT_THROW(f.data<bfloat16>(), shoal::UsageError);
  try {
    h.data();
    FAIL() << "no exception";
  } catch (const shoal::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("bf16"), std::string::npos) << e.what();
  }
}

TEST(TensorDType, Float32ToBFloat16AndBack) {
  Tensor f = Tensor::fromVector(Shape{2, 3}, {1.0f, -2.5f, 3.14159f, 0.0f, 65504.0f, 1e-3f});
  Tensor h = f.toType(DType::BF16);
  EXPECT_EQ(h.shape(), f.shape());
  EXPECT_EQ(h.data<bfloat16>()[2].bits, 0x4049);
  std::vector<float> back = h.toType(DType::F32).toVector();
  EXPECT_EQ(back[0], 1.0f);
  EXPECT_EQ(back[1], -2.5f);
  EXPECT_EQ(back[2], 3.140625f);
  EXPECT_EQ(back[3], 0.0f);
  for (size_t i = 0; i < back.size(); ++i)
    EXPECT_NEAR(back[i], f[static_cast<int64_t>(i)], std::abs(f[static_cast<int64_t>(i)]) / 128);
  // Values bfloat16 holds exactly survive the round trip unchanged.
  Tensor exact = Tensor::fromVector(Shape{3}, {0.5f, -96.0f, 3.140625f});
  EXPECT_EQ(exact.toType(DType::BF16).toVector(), exact.toVector());
}

TEST(TensorDType, IntegersConvertToFloat32) {
  Tensor i(Shape{3}, DType::I32);
  i.data<int32_t>()[0] = -7;
  i.data<int32_t>()[2] = 1 << 20;
  EXPECT_EQ(i.toType(DType::F32).toVector(), (std::vector<float>{-7.0f, 0.0f, 1048576.0f}));
  Tensor bytes(Shape{2}, DType::U8);
  bytes.fill(255.0f);
  Tensor f(Shape{2});
  f.copyFrom(bytes);
  EXPECT_EQ(f.toVector(), (std::vector<float>{255.0f, 255.0f}));
  Tensor l(Shape{2}, DType::I64);
  l.data<int64_t>()[1] = -3;
  EXPECT_EQ(l.sum(), -3.0);
  EXPECT_THROW(i.copyFrom(f), shoal::ShapeError);  // 3 elements from 2
  Tensor i2(Shape{2}, DType::I32);
  EXPECT_THROW(i2.copyFrom(f), shoal::UsageError);  // f32 -> i32 is not a supported conversion
}

TEST(TensorDType, ViewsAndResizeKeepTheType) {
  Tensor h(Shape{4, 2}, DType::BF16);
  h.data<bfloat16>()[6] = bfloat16(5.0f);
  Tensor row = h.narrow(3, 1);
  EXPECT_EQ(row.dtype(), DType::BF16);
  EXPECT_EQ(static_cast<float>(row.data<bfloat16>()[0]), 5.0f);
  EXPECT_EQ(row.bytes(), h.bytes() + 6 * 2);
  EXPECT_TRUE(h.view(Shape{8}).sharesData(h));
  h.resize(Shape{16});
  EXPECT_EQ(h.dtype(), DType::BF16);
  EXPECT_EQ(h.numel(), 16);
  Tensor c = row.clone();
  EXPECT_EQ(c.dtype(), DType::BF16);
  EXPECT_FALSE(c.sharesData(row));
  EXPECT_EQ(c.toVector(), (std::vector<float>{5.0f, 0.0f}));
}
