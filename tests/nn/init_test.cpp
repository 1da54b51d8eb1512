// Initialisation schemes: bounds, spreads and reproducibility.
#include "shoal/nn/init.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "shoal/error.hpp"

using shoal::Shape;
using shoal::Tensor;

namespace {

double meanOf(const Tensor& t) {
  double s = 0;
  for (int64_t i = 0; i < t.numel(); ++i) s += t[i];
  return s / t.numel();
}

double varianceOf(const Tensor& t) {
  double m = meanOf(t), s = 0;
  for (int64_t i = 0; i < t.numel(); ++i) s += (t[i] - m) * (t[i] - m);
  return s / t.numel();
}

}  // namespace

TEST(Init, UniformSchemesStayWithinTheirBounds) {
  shoal::nn::Generator gen(1);
  Tensor t(Shape{200, 50});
  shoal::nn::xavierUniform(t, 50, 200, gen);
  double bound = std::sqrt(6.0 / 250);
  for (int64_t i = 0; i < t.numel(); ++i) ASSERT_LE(std::abs(t[i]), bound);
  EXPECT_NEAR(varianceOf(t), bound * bound / 3, 0.05 * bound * bound / 3);
  shoal::nn::kaimingUniform(t, 50, gen);
  bound = std::sqrt(6.0 / 50);
  for (int64_t i = 0; i < t.numel(); ++i) ASSERT_LE(std::abs(t[i]), bound);
  EXPECT_NEAR(meanOf(t), 0.0, 0.02);
}

TEST(Init, NormalSchemesHaveTheirStandardDeviation) {
  shoal::nn::Generator gen(2);
  Tensor t(Shape{101, 99});  // odd element count: the last Box-Muller pair is cut in half
  shoal::nn::kaimingNormal(t, 99, gen);
  EXPECT_NEAR(varianceOf(t), 2.0 / 99, 0.05 * 2.0 / 99);
  EXPECT_NEAR(meanOf(t), 0.0, 0.01);
  shoal::nn::xavierNormal(t, 99, 101, gen);
  EXPECT_NEAR(varianceOf(t), 2.0 / 200, 0.05 * 2.0 / 200);
  EXPECT_NE(t[t.numel() - 1], 0.0f);
}

TEST(Init, SameGeneratorStateGivesSameValues) {
  shoal::nn::Generator a(3), b(3);
  Tensor x(Shape{64}), y(Shape{64});
  shoal::nn::uniform(x, 0.5, a);
  shoal::nn::uniform(y, 0.5, b);
  EXPECT_EQ(x.toVector(), y.toVector());
  shoal::nn::normal(x, 1.0, a);
  EXPECT_NE(x.toVector(), y.toVector());
}

TEST(Init, RejectsEmptyFans) {
  shoal::nn::Generator gen(4);
  Tensor t(Shape{4});
  EXPECT_THROW(shoal::nn::kaimingUniform(t, 0, gen), shoal::UsageError);
  EXPECT_THROW(shoal::nn::xavierNormal(t, 0, 0, gen), shoal::UsageError);
}
