// An addition and the ReLU after it as one step (AddReluStep): the same results as the two nodes run apart, gradients, the two-part gradient, and refusals.
#include <gtest/gtest.h>

#include "shoal/backend/vector_kernels.hpp"
#include "shoal/error.hpp"
#include "shoal/nn/cadd_table.hpp"
#include "shoal/nn/graph.hpp"
#include "shoal/nn/random.hpp"
#include "shoal/nn/relu.hpp"
#include "shoal/nn/sequential.hpp"
#include "shoal/nn/spatial_convolution.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "support/bf16_kernels.hpp"
#include "support/gradient_check.hpp"
#include "support/relative_error.hpp"
#include "support/same_runs.hpp"

namespace shoal {
namespace {

using nn::CAddTable;
using nn::Graph;
using nn::ReLU;
using nn::SpatialConvolution;
using testing::expectSameRuns;
using testing::randomTensor;

SpatialConvolution conv3x3() { return SpatialConvolution(4, 4, 3, 3, 1, 1, 1, 1); }

// input [N, 4, H, W] -> relu1 = max(0, conv1 + input), read by conv2 and add2 (its gradient
// comes in two parts) -> relu2 = max(0, conv2 + relu1 + input), read by conv3, conv4 and add3
// (three parts) -> relu3 = max(0, conv3 + conv4 + relu2), the output (one part).
Graph chainedAdditions() {
  nn::manualSeed(3);
  Graph g;
  auto x = g.input();
  auto c1 = g.add("conv1", conv3x3(), {x});
  auto r1 = g.add("relu1", ReLU(), {g.add("add1", CAddTable(), {c1, x})});
  auto c2 = g.add("conv2", conv3x3(), {r1});
  auto r2 = g.add("relu2", ReLU(), {g.add("add2", CAddTable(), {c2, r1, x})});
  auto c3 = g.add("conv3", conv3x3(), {r2});
  auto c4 = g.add("conv4", conv3x3(), {r2});
  g.setOutput(g.add("relu3", ReLU(), {g.add("add3", CAddTable(), {c3, c4, r2})}));
  return g;
}

TEST(AddRelu, GraphFusesEachAdditionWithItsReluWithTheUnfusedResults) {
  Graph fused = chainedAdditions(), unfused = chainedAdditions();
  unfused.setFusion(false);
  expectSameRuns(fused, unfused, randomTensor({3, 4, 7, 6}, 5, -2.0f, 2.0f),
                 randomTensor({3, 4, 7, 6}, 6));
  for (const char* relu : {"relu1", "relu2", "relu3"}) {
    EXPECT_EQ(fused.node(relu).output().rank(), 0) << relu << " ran on its own";
    EXPECT_EQ(unfused.node(relu).output().rank(), 4) << relu;
  }
}

// bf16 activations: relu1 and relu2 write bf16 either way (a ReLU commutes with rounding to
// nearest); relu3, the graph's f32 output, takes the fused sum unrounded where the unfused
// addition rounds it to bf16 for its ReLU. Within bf16 rounding of each other.
TEST(AddRelu, GraphFusesEachAdditionWithItsReluInBf16) {
  SHOAL_SKIP_WITHOUT_BF16_KERNELS();
  Graph fused = chainedAdditions(), unfused = chainedAdditions();
  unfused.setFusion(false);
  fused.setPrecision(nn::Precision::BF16);
  unfused.setPrecision(nn::Precision::BF16);
  const Tensor x = randomTensor({3, 4, 7, 6}, 5, -2.0f, 2.0f), g = randomTensor({3, 4, 7, 6}, 6);
  const Tensor outputs[] = {fused.forward(x).clone(), unfused.forward(x).clone()};
  fused.zeroGradParameters();
  unfused.zeroGradParameters();
  const Tensor gradients[] = {fused.backward(x, g).clone(), unfused.backward(x, g).clone()};
  EXPECT_EQ(unfused.node("add1").output().dtype(), DType::BF16);
  EXPECT_LT(testing::relativeError(outputs[0], outputs[1]), 1e-2);
  EXPECT_GT(testing::relativeError(outputs[0], outputs[1]), 0.0) << "relu3's sum was rounded";
  EXPECT_LT(testing::relativeError(gradients[0], gradients[1]), 2e-2);
  EXPECT_LT(testing::relativeError(fused.flatParameters().grads(), unfused.flatParameters().grads()), 2e-2);
}

TEST(AddRelu, FusedGraphGradientCheck) {
  Graph g = chainedAdditions();
  testing::expectModuleGradients(g, randomTensor({2, 4, 5, 4}, 7, -2.0f, 2.0f));
}

// Golden values: dst = max(0, a + b) into f32 and bf16, and the ReLU's gradient of two parts.
TEST(AddRelu, KernelsGolden) {
  const Tensor a = Tensor::fromVector(Shape{5}, {1.0f, -2.0f, 0.5f, 3.0f, 1.0f});
  const Tensor b = Tensor::fromVector(Shape{5}, {2.0f, 1.0f, -0.5f, -4.0f, 0.00390625f});
  Tensor sum(Shape{5});
  backend::addRelu(a, b, sum);
  EXPECT_EQ(sum.toVector(), (std::vector<float>{3.0f, 0.0f, 0.0f, 0.0f, 1.00390625f}));
  Tensor rounded(Shape{5}, DType::BF16);
  backend::addRelu(a, b, rounded);  // 1 + 2^-8 is halfway between bf16 1 and 1 + 2^-7: to even
  EXPECT_EQ(rounded.toType(DType::F32).toVector(), (std::vector<float>{3.0f, 0.0f, 0.0f, 0.0f, 1.0f}));
  const Tensor g = Tensor::fromVector(Shape{5}, {0.25f, 1.0f, 2.0f, 3.0f, -1.5f});
  const Tensor h = Tensor::fromVector(Shape{5}, {0.5f, 1.0f, 1.0f, 1.0f, 0.25f});
  Tensor gradient(Shape{5});
  backend::reluBackward(sum, g, h, gradient);
  EXPECT_EQ(gradient.toVector(), (std::vector<float>{0.75f, 0.0f, 0.0f, 0.0f, -1.25f}));
}

// A gradient of the wrong shape and inputs of different shapes are refused naming the node; a
// table in a chain of single inputs keeps its ShapeError when fused.
TEST(AddRelu, RefusesWhatDoesNotFit) {
  Graph g = chainedAdditions();
  const Tensor x = randomTensor({2, 4, 5, 4}, 8);
  g.forward(x);
  EXPECT_THROW(g.backward(x, randomTensor({2, 4, 5, 3}, 9)), ShapeError);
  Graph mismatched;
  auto in = mismatched.input();
  auto c = mismatched.add("conv", SpatialConvolution(4, 4, 3, 3), {in});  // 5x4 -> 3x2
  mismatched.setOutput(mismatched.add("relu", ReLU(), {mismatched.add("add", CAddTable(), {c, in})}));
  try {
    mismatched.forward(x);
    ADD_FAILURE() << "inputs of two shapes were added";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("node add"), std::string::npos) << e.what();
  }
  nn::Sequential chain;
  chain.add(CAddTable()).add(ReLU());
  ASSERT_EQ(chain.plan().size(), 1u);
  EXPECT_THROW(chain.forward(x), ShapeError);
}

}  // namespace
}  // namespace shoal
