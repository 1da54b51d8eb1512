// A batch normalisation and the ReLU after it as one step: the same results as the two modules run apart, in Sequential and Graph.
#include <gtest/gtest.h>

#include "shoal/nn/cadd_table.hpp"
#include "shoal/nn/graph.hpp"
#include "shoal/nn/random.hpp"
#include "shoal/nn/relu.hpp"
#include "shoal/nn/sequential.hpp"
#include "shoal/nn/spatial_batch_normalization.hpp"
#include "shoal/nn/spatial_convolution.hpp"
#include "support/gradient_check.hpp"
#include "support/same_runs.hpp"

namespace shoal {
namespace {

using nn::CAddTable;
using nn::Graph;
using nn::ReLU;
using nn::Sequential;
using nn::SpatialBatchNormalization;
using nn::SpatialConvolution;
using testing::expectSameRuns;
using testing::randomTensor;

Sequential normalisedRelu() {
  Sequential s;
  s.add(SpatialBatchNormalization(3)).add(ReLU());
  return s;
}

TEST(BatchNormRelu, SequentialFusesThePairWithTheUnfusedResults) {
  Sequential fused = normalisedRelu(), unfused = normalisedRelu();
  unfused.setFusion(false);
  ASSERT_EQ(fused.plan().size(), 1u);
  ASSERT_EQ(unfused.plan().size(), 2u);
  for (Sequential* s : {&fused, &unfused}) {  // a shift that leaves some outputs negative
    auto& bn = static_cast<SpatialBatchNormalization&>(*s->children()[0].module);
    bn.bias().copyFrom(randomTensor({3}, 3));
  }
  expectSameRuns(fused, unfused, randomTensor({6, 3, 17, 19}, 1, -2.0f, 2.0f),
                 randomTensor({6, 3, 17, 19}, 2));
}

TEST(BatchNormRelu, FusedStepGradientCheck) {
  Sequential fused = normalisedRelu();
  ASSERT_EQ(fused.plan().size(), 1u);
  testing::expectModuleGradients(fused, randomTensor({4, 3, 3, 5}, 4, -2.0f, 2.0f));
}

// input -> conv -> bn -> relu -> conv2 -> bn2 -> (+ input) -> relu, and a second batch
// normalisation whose output is read twice (by its ReLU and by the addition: not fused).
Graph residualBlock() {
  nn::manualSeed(7);
  Graph g;
  auto x = g.input();
  auto h = g.add("conv1", SpatialConvolution(4, 4, 3, 3, 1, 1, 1, 1), {x});
  h = g.add("bn1", SpatialBatchNormalization(4), {h});
  h = g.add("relu1", ReLU(), {h});
  h = g.add("conv2", SpatialConvolution(4, 4, 3, 3, 1, 1, 1, 1), {h});
  auto b = g.add("bn2", SpatialBatchNormalization(4), {h});
  auto r = g.add("relu2", ReLU(), {b});
  h = g.add("add", CAddTable(), {r, b, x});
  g.setOutput(g.add("relu3", ReLU(), {h}));
  return g;
}

TEST(BatchNormRelu, GraphFusesSingleReaderPairsWithTheUnfusedResults) {
  Graph fused = residualBlock(), unfused = residualBlock();
  unfused.setFusion(false);
  expectSameRuns(fused, unfused, randomTensor({5, 4, 9, 7}, 5, -2.0f, 2.0f),
                 randomTensor({5, 4, 9, 7}, 6));
  // bn1 + relu1 ran as one step (relu1 never ran on its own), and so did add + relu3; bn2, read
  // twice, did not fuse.
  EXPECT_EQ(fused.node("relu1").output().rank(), 0);
  EXPECT_EQ(fused.node("relu3").output().rank(), 0);
  EXPECT_EQ(fused.node("relu2").output().rank(), 4);
  EXPECT_EQ(unfused.node("relu1").output().rank(), 4);
}

}  // namespace
}  // namespace shoal
