// The backend seam: current() makes working operations of every family behind their interfaces.
#include "shoal/backend/backend.hpp"
#include "shoal/backend/cpu_info.hpp"

#include <sched.h>

#include <gtest/gtest.h>

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
