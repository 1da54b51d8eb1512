// Channels-last activations inside a Graph: the plan's choices, equality with plain activations, gradients, bf16, and refusals.
#include <gtest/gtest.h>

#include <string>

#include "shoal/error.hpp"
#include "shoal/nn/cadd_table.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/nn/flatten.hpp"
#include "shoal/nn/graph.hpp"
#include "shoal/nn/linear.hpp"
#include "shoal/nn/random.hpp"
#include "shoal/nn/relu.hpp"
#include "shoal/nn/spatial_average_pooling.hpp"
#include "shoal/nn/spatial_convolution.hpp"
#include "support/bf16_kernels.hpp"
#include "support/gradient_check.hpp"
#include "support/relative_error.hpp"

using namespace shoal;
using shoal::testing::expectModuleGradients;
using shoal::testing::randomTensor;
using shoal::testing::relativeError;

namespace {

// input [N, planes, 8, 8] (3 by default; 1, a grey image, is laid out alike plain and
// channels-last) -> conv planes->16 -> ReLU -> conv 16->16 at stride 2 -> + (the ReLU's output
// through "proj", a 1x1 convolution at stride 2, as a resnet's downsampling block) -> ReLU -> 2x2
// average pooling -> Flatten -> Linear 64->5; "side" (a convolution read by the Linear through a
// Flatten) is summed into the output too.
nn::Graph residualGraph(uint64_t seed, int64_t planes = 3) {
  nn::manualSeed(seed);
  nn::Graph g;
  auto x = g.input();
  auto c1 = g.add("conv1", nn::SpatialConvolution(planes, 16, 3, 3, 1, 1, 1, 1), {x});
  auto r1 = g.add("relu1", nn::ReLU(), {c1});
  auto c2 = g.add("conv2", nn::SpatialConvolution(16, 16, 3, 3, 2, 2, 1, 1), {r1});
  auto proj = g.add("proj", nn::SpatialConvolution(16, 16, 1, 1, 2, 2), {r1});
  auto sum = g.add("add", nn::CAddTable(), {c2, proj});
  auto r2 = g.add("relu2", nn::ReLU(), {sum});
  auto pool = g.add("pool", nn::SpatialAveragePooling(2, 2), {r2});
  auto flat = g.add("flatten", nn::Flatten(), {pool});
  auto fc = g.add("fc", nn::Linear(64, 5), {flat});
  auto side = g.add("side", nn::SpatialConvolution(planes, 4, 8, 8), {x});  // [N, 4, 1, 1]
  auto sideFlat = g.add("side_flatten", nn::Flatten(), {side});
  auto sideFc = g.add("side_fc", nn::Linear(4, 5), {sideFlat});
  g.setOutput(g.add("out", nn::CAddTable(), {fc, sideFc}));
  return g;
}

struct Pass {
  Tensor output, gradInput;
  std::vector<float> gradients;
};

Pass trainingPass(nn::Graph& g, const Tensor& input) {
  g.train();
  Pass p;
  p.output = g.forward(input).clone();
  Tensor gradOutput = randomTensor(p.output.shape(), 11);
  g.zeroGradParameters();
  p.gradInput = g.backward(input, gradOutput).clone();
  for (const nn::Parameter& param : g.parameters()) {
    std::vector<float> v = param.grad->toVector();
    p.gradients.insert(p.gradients.end(), v.begin(), v.end());
  }
  return p;
}

Tensor flat(const std::vector<float>& values) {
  return Tensor::fromVector(Shape{static_cast<int64_t>(values.size())}, values);
}

// One training pass of residualGraph in `precision` with plain and with channels-last
// activations: the outputs, the input gradients and the parameter gradients agree within
// `tolerance` (relative error).
void expectChannelsLastAsPlain(nn::Precision precision, double tolerance, int64_t planes = 3) {
  nn::Graph plain = residualGraph(7, planes), channelsLast = residualGraph(7, planes);
  plain.setChannelsLast(false);
  plain.setPrecision(precision);
  channelsLast.setPrecision(precision);
  Tensor input = randomTensor(Shape{3, planes, 8, 8}, 8);
  Pass a = trainingPass(plain, input), b = trainingPass(channelsLast, input);
  EXPECT_EQ(plain.node("conv2").output().layout(), Layout::Plain);
  EXPECT_EQ(channelsLast.node("conv2").output().layout(), Layout::ChannelsLast);
  EXPECT_EQ(channelsLast.node("conv2").output().dtype(),
            precision == nn::Precision::BF16 ? DType::BF16 : DType::F32);
  EXPECT_LT(relativeError(b.output, a.output), tolerance);
  EXPECT_LT(relativeError(b.gradInput, a.gradInput), tolerance);
  EXPECT_LT(relativeError(flat(b.gradients), flat(a.gradients)), tolerance);
}

}  // namespace

TEST(GraphLayout, ConvolutionOutputsReadOnlyByLayoutAwareNodesBecomeChannelsLast) {
  nn::Graph g = residualGraph(1);
  g.setFusion(false);  // every node writes its own output
  g.forward(randomTensor(Shape{2, 3, 8, 8}, 2));
  EXPECT_EQ(g.node("conv1").output().layout(), Layout::ChannelsLast);
  EXPECT_EQ(g.node("relu1").output().layout(), Layout::ChannelsLast);  // follows its input
  EXPECT_EQ(g.node("conv2").output().layout(), Layout::ChannelsLast);
  EXPECT_EQ(g.node("proj").output().layout(), Layout::ChannelsLast);
  EXPECT_EQ(g.node("add").output().layout(), Layout::ChannelsLast);
  EXPECT_EQ(g.node("pool").output().layout(), Layout::Plain);  // pooling writes plain
  // Read by a Flatten, which reads plain tensors only.
  EXPECT_EQ(g.node("side").output().layout(), Layout::Plain);
  EXPECT_EQ(g.output().layout(), Layout::Plain);
}

TEST(GraphLayout, AnAdditionOfAChannelsLastAndAPlainInputMakesBothPlain) {
  nn::manualSeed(5);
  nn::Graph g;
  auto x = g.input();
  auto c = g.add("conv", nn::SpatialConvolution(4, 4, 3, 3, 1, 1, 1, 1), {x});
  auto sum = g.add("add", nn::CAddTable(), {c, x});  // x, the graph's input, is plain
  g.setOutput(g.add("relu", nn::ReLU(), {sum}));
  Tensor input = randomTensor(Shape{2, 4, 5, 5}, 6);
  g.forward(input);
  EXPECT_EQ(g.node("conv").output().layout(), Layout::Plain);
  EXPECT_EQ(g.output().layout(), Layout::Plain);
}

TEST(GraphLayout, ChannelsLastGivesThePlainResultsAndGradients) {
  expectChannelsLastAsPlain(nn::Precision::F32, 1e-6);
  SCOPED_TRACE("one input plane");
  expectChannelsLastAsPlain(nn::Precision::F32, 1e-6, 1);
}

TEST(GraphLayout, GradientCheckThroughChannelsLastNodes) {
  for (int64_t planes : {3, 1})
    for (bool channelsLast : {false, true}) {
      SCOPED_TRACE(std::to_string(planes) + " input planes, channels-last " +
                   std::to_string(channelsLast));
      nn::Graph g = residualGraph(9, planes);
      g.setChannelsLast(channelsLast);
      // A bias moves 128 ReLU inputs at once: a smaller step keeps kinks out of the differences.
      shoal::testing::GradCheckOptions options;
      options.step = 1e-3;
      expectModuleGradients(g, randomTensor(Shape{2, planes, 8, 8}, 10), options);
      EXPECT_EQ(g.node("conv2").output().layout(),
                channelsLast ? Layout::ChannelsLast : Layout::Plain);
    }
}

// The same bf16 products summed in another order: far inside bf16's own error.
TEST(GraphLayout, Bf16ChannelsLastGivesTheBf16PlainResults) {
  SHOAL_SKIP_WITHOUT_BF16_KERNELS();
  expectChannelsLastAsPlain(nn::Precision::BF16, 1e-3);
  SCOPED_TRACE("one input plane");
  expectChannelsLastAsPlain(nn::Precision::BF16, 1e-3, 1);
}

TEST(GraphLayout, ModulesThatReadOnlyPlainTensorsRefuseChannelsLast) {
  Tensor t = randomTensor(Shape{2, 3, 4, 4}, 14).toLayout(Layout::ChannelsLast);
  nn::Flatten flatten;
  try {
    flatten.forward(t);
    FAIL() << "a Flatten read a channels-last tensor";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("channels-last"), std::string::npos) << e.what();
  }
  nn::CAddTable add;
  Tensor plain = randomTensor(Shape{2, 3, 4, 4}, 15);
  const Tensor* mixed[] = {&t, &plain};
  try {
    add.forwardInputs(mixed);
    FAIL() << "CAddTable added a channels-last and a plain tensor";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("input 2 is plain"), std::string::npos) << e.what();
  }
}
