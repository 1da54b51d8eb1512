// Convolutions of one input plane (the CPU backend's own AVX-512 passes where it has them): against the naive convolution across shapes, gradients, thread counts, and what stays on oneDNN.
#include <gtest/gtest.h>

#include <string>

#include "shoal/backend/cpu_info.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/nn/random.hpp"
#include "shoal/nn/relu.hpp"
#include "shoal/nn/sequential.hpp"
#include "shoal/nn/spatial_convolution.hpp"
#include "shoal/nn/spatial_max_pooling.hpp"
#include "support/fixtures.hpp"
#include "support/gradient_check.hpp"
#include "support/naive_convolution.hpp"

namespace shoal {
namespace {

using nn::SpatialConvolution;
using testing::checkAgainstNaive;
using testing::randomTensor;

// Kernels of 3 and 5 at every padding below them, output rows of 1 to 4 vectors (and past
// them, on oneDNN), output plane counts that do and do not fill the planes computed at once,
// with and without bias, batches of 1 to 5 images (fewer than the chunks of the weight
// gradients and not a multiple of them).
TEST(SinglePlaneConvolution, MatchesNaiveAcrossShapes) {
  struct Case {
    int64_t out, k, pad, h, w, n;
    bool bias;
  };
  const Case cases[] = {{6, 5, 2, 28, 28, 3, true},  {16, 3, 1, 28, 28, 2, false},
                        {7, 3, 0, 9, 12, 5, true},   {13, 5, 4, 11, 40, 1, true},
                        {3, 3, 2, 20, 60, 2, true},  {9, 5, 1, 6, 50, 4, false},
                        {2, 5, 0, 5, 5, 3, true},    {4, 3, 1, 8, 70, 2, true}};
  for (const Case& c : cases) {
    SCOPED_TRACE(std::to_string(c.out) + " planes, " + std::to_string(c.k) + "x" + std::to_string(c.k) +
                 " pad " + std::to_string(c.pad) + ", " + std::to_string(c.h) + "x" + std::to_string(c.w) +
                 ", batch " + std::to_string(c.n));
    nn::manualSeed(static_cast<uint64_t>(c.out * 100 + c.w));
    SpatialConvolution conv(1, c.out, c.k, c.k, 1, 1, c.pad, c.pad, 1, c.bias);
    checkAgainstNaive(conv, randomTensor({c.n, 1, c.h, c.w}, static_cast<uint64_t>(c.h + c.w)), 1,
                      c.pad, 1, static_cast<uint64_t>(c.n));
  }
}

TEST(SinglePlaneConvolution, Gradients) {
  nn::manualSeed(4);
  SpatialConvolution conv(1, 5, 3, 3, 1, 1, 1, 1);
  testing::expectModuleGradients(conv, randomTensor({2, 1, 6, 7}, 5));
  nn::Sequential block;  // with a fused ReLU and 2x2 pooling
  block.add(SpatialConvolution(1, 3, 5, 5, 1, 1, 2, 2)).add(nn::ReLU()).add(nn::SpatialMaxPooling(2, 2));
  ASSERT_EQ(block.plan().size(), 1u);
  testing::expectModuleGradients(block, randomTensor({2, 1, 8, 6}, 6));
}

// LeNet-5's first block on one thread and on three: the same output and gradients, bit for bit
// (the weight gradients are summed per fixed chunk of images).
TEST(SinglePlaneConvolution, SameBitsForAnyThreadCount) {
  const Tensor x = randomTensor({37, 1, 28, 28}, 7), g = randomTensor({37, 6, 14, 14}, 8);
  const int threads = backend::threadCount();
  std::vector<float> runs[2];
  for (int r = 0; r < 2; ++r) {
    backend::setThreadCount(r == 0 ? 1 : 3);
    nn::manualSeed(9);
    nn::Sequential block;
    block.add(SpatialConvolution(1, 6, 5, 5, 1, 1, 2, 2)).add(nn::ReLU()).add(nn::SpatialMaxPooling(2, 2));
    runs[r] = block.forward(x).toVector();
    block.zeroGradParameters();
    const std::vector<float> gradInput = block.backward(x, g).toVector();
    const std::vector<float> grads = block.flatParameters().grads().toVector();
    runs[r].insert(runs[r].end(), gradInput.begin(), gradInput.end());
    runs[r].insert(runs[r].end(), grads.begin(), grads.end());
  }
  backend::setThreadCount(threads);
  EXPECT_EQ(runs[0], runs[1]);
}

// A constant image makes every window of the fused pooling a tie: the gradient goes to each
// window's first element in row-major order, as the separate pooling layer sends it.
TEST(SinglePlaneConvolution, FusedPoolingTiesGoToTheFirstElement) {
  const Tensor x = Tensor::full({2, 1, 8, 8}, 1.0f), g = randomTensor({2, 2, 3, 3}, 10);
  nn::Sequential fused, separate;
  for (nn::Sequential* s : {&fused, &separate}) {
    SpatialConvolution conv(1, 2, 3, 3);  // 6x6, no padding: constant outputs
    conv.weight().fill(0.5f);
    conv.bias().fill(0.25f);
    s->add(std::move(conv)).add(nn::ReLU()).add(nn::SpatialMaxPooling(2, 2));
  }
  separate.setFusion(false);
  ASSERT_EQ(fused.plan().size(), 1u);
  testing::expectNear(fused.forward(x), separate.forward(x), 0, 0, "output");
  testing::expectNear(fused.backward(x, g), separate.backward(x, g), 1e-6, 1e-6, "gradInput");
  testing::expectNear(fused.flatParameters().grads(), separate.flatParameters().grads(), 1e-5, 1e-5,
                      "parameter gradients");
}

}  // namespace
}  // namespace shoal
