// The backend seam: current() makes working operations of every family behind their interfaces.
#include "shoal/backend/backend.hpp"
#include "shoal/backend/cpu_info.hpp"
#include "shoal/backend/vector_kernels.hpp"

#include <sched.h>

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

using shoal::Shape;
using shoal::Tensor;
namespace backend = shoal::backend;

TEST(Backend, MatmulWithBiasAndRelu) {
  auto matmul = backend::current().makeMatmul();
  Tensor src = Tensor::fromVector(Shape{2, 3}, {1, 2, 3, -1, -2, -3});
  Tensor weight = Tensor::fromVector(Shape{2, 3}, {1, 0, 0, 0, 1, 1});
  Tensor bias = Tensor::fromVector(Shape{2}, {0.5f, -1});
  Tensor dst(Shape{2, 2});
  matmul->forward(src, weight, &bias, false, dst);
  EXPECT_EQ(dst.toVector(), (std::vector<float>{1.5f, 4, -0.5f, -6}));
  matmul->forward(src, weight, &bias, true, dst);
  EXPECT_EQ(dst.toVector(), (std::vector<float>{1.5f, 4, 0, 0}));
}

TEST(Backend, EltwiseAndSoftmax) {
  auto relu = backend::current().makeEltwise(backend::Activation::Relu);
  Tensor x = Tensor::fromVector(Shape{2, 2}, {-1, 2, 0.5f, -3});
  Tensor y(x.shape());
  relu->forward(x, y);
  EXPECT_EQ(y.toVector(), (std::vector<float>{0, 2, 0.5f, 0}));

  auto softmax = backend::current().makeSoftmax(false);
  softmax->forward(x, y);
  EXPECT_NEAR(y[0] + y[1], 1.0, 1e-6);
  EXPECT_NEAR(y[2] + y[3], 1.0, 1e-6);
  EXPECT_GT(y[1], y[0]);
}

TEST(Backend, PoolingUsesTheGeometryHelpers) {
  backend::PoolingGeometry g = backend::poolingGeometry("test", 2, 2, 0, 0, 0, 0, false);
  EXPECT_EQ(g.strideH, 2);
  auto pool = backend::current().makePooling(backend::PoolingAlgorithm::Max, g);
  Tensor x = Tensor::fromVector(Shape{1, 1, 2, 4}, {1, 5, 2, 0, 3, 4, 7, 8});
  Tensor y(Shape{1, 1, 1, backend::poolingOutputSize(4, 2, 2, 0, false)});
  pool->forward(x, y);
  EXPECT_EQ(y.toVector(), (std::vector<float>{5, 8}));
}

// usableCores follows the process's CPU affinity (what taskset or a container's cpuset allows),
// not the machine's core count: bound to one core, it says 1.
TEST(Backend, UsableCoresFollowTheAffinity) {
  cpu_set_t before;
  ASSERT_EQ(sched_getaffinity(0, sizeof(before), &before), 0);
  EXPECT_EQ(shoal::backend::usableCores(), CPU_COUNT(&before));
  int first = 0;
  while (!CPU_ISSET(first, &before)) ++first;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
  int bound = shoal::backend::usableCores();
  ASSERT_EQ(sched_setaffinity(0, sizeof(before), &before), 0);
  EXPECT_EQ(bound, 1);
}

// A bf16 all-reduce's first pass: each element times the rank's share, the product rounded once
// to the nearest bf16, as scaling the float then rounding it would (NaN stays NaN), on odd lengths.
TEST(Backend, RoundToBf16ScalesEachElementInTheSamePass) {
  std::mt19937 gen(7);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  for (const float scale : {1.0f, 0.5f, 1.0f / 3.0f})
    for (const int64_t n : {int64_t{1}, int64_t{17}, int64_t{1000}}) {
      std::vector<float> src(static_cast<size_t>(n));
      for (float& x : src) x = normal(gen);
      src[0] = std::numeric_limits<float>::quiet_NaN();
      std::vector<shoal::bfloat16> dst(src.size());
      backend::roundToBf16(src.data(), dst.data(), n, scale);
      EXPECT_TRUE(std::isnan(static_cast<float>(dst[0])));
      for (size_t i = 1; i < src.size(); ++i) {
        const float product = src[i] * scale;
        ASSERT_EQ(dst[i].bits, shoal::bfloat16(product).bits) << "element " << i << " of " << n << ", scale " << scale;
      }
    }
}

// The bf16 all-reduce's addition: each sum is the float sum of the two bf16 values rounded to the
// nearest bf16 (ties to even), as bfloat16(float) rounds it, on odd lengths and in place.
TEST(Backend, AddBf16RoundsTheFloatSumToTheNearestBf16) {
  std::mt19937 gen(5);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  for (const int64_t n : {int64_t{1}, int64_t{17}, int64_t{1000}}) {
    std::vector<shoal::bfloat16> a(static_cast<size_t>(n)), b(a.size()), sum(a.size());
    for (size_t i = 0; i < a.size(); ++i) {
      a[i] = shoal::bfloat16(normal(gen));
      b[i] = shoal::bfloat16(normal(gen));
      if (i % 4 == 0) {
        // a tie: a positive a plus half of its bf16 spacing (2^(e - 8) for a in [2^e, 2^(e+1)))
        a[i] = shoal::bfloat16(std::fabs(static_cast<float>(a[i])));
        int exponent = 0;
        std::frexp(static_cast<float>(a[i]), &exponent);  // a in [2^(exponent-1), 2^exponent)
        b[i] = shoal::bfloat16(std::ldexp(1.0f, exponent - 9));
      }
    }
    backend::addBf16(a.data(), b.data(), sum.data(), n);
    for (size_t i = 0; i < a.size(); ++i)
      ASSERT_EQ(sum[i].bits, shoal::bfloat16(static_cast<float>(a[i]) + static_cast<float>(b[i])).bits)
          << "element " << i << " of " << n;
    backend::addBf16(a.data(), b.data(), a.data(), n);  // in place
    for (size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i].bits, sum[i].bits) << "in place, element " << i;
  }
}
