// Graph containers: gradients through fan-out and residual adds, a chain equal to a Sequential, JSON graph specs and their errors.
#include "shoal/nn/graph.hpp"

#include <gtest/gtest.h>

#include "shoal/error.hpp"
#include "shoal/nn/batch_normalization.hpp"
#include "shoal/nn/class_nll_criterion.hpp"
#include "shoal/nn/cadd_table.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/nn/join_table.hpp"
#include "shoal/nn/linear.hpp"
#include "shoal/nn/model_spec.hpp"
#include "shoal/nn/relu.hpp"
#include "shoal/nn/sequential.hpp"
#include "shoal/nn/spatial_batch_normalization.hpp"
#include "shoal/nn/spatial_convolution.hpp"
#include "shoal/nn/tanh.hpp"
#include "shoal/nn/zoo.hpp"
#include "support/gradient_check.hpp"

using namespace shoal;
using nlohmann::json;
using shoal::testing::expectModuleGradients;
using shoal::testing::randomTensor;

namespace {

std::string errorOf(const json& spec, const Shape& input) {
  try {
    nn::buildModel(spec, input, "graph.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Graph, GradientCheckThroughAFanOutAndAResidualAdd) {
  nn::manualSeed(3);
  nn::Graph g;
  auto x = g.input();
  auto a = g.add("a", nn::Linear(5, 5), {x});
  auto t = g.add("t", nn::Tanh(), {a});
  auto b = g.add("b", nn::Linear(5, 5), {t});
  // `a` fans out to `t` and to the residual add; `x` feeds `a` and the second add.
  auto sum = g.add("sum", nn::CAddTable(), {b, a});
  auto out = g.add("out", nn::CAddTable(), {sum, x});
  g.setOutput(out);
  expectModuleGradients(g, randomTensor(Shape{3, 5}, 4));
}

TEST(Graph, GradientCheckThroughAConcatenation) {
  nn::manualSeed(4);
  nn::Graph g;
  auto x = g.input();
  auto a = g.add("a", nn::Linear(4, 3), {x});
  auto b = g.add("b", nn::Linear(4, 2), {x});
  auto join = g.add("join", nn::JoinTable(1), {a, b, a});
  g.setOutput(g.add("c", nn::Linear(8, 2), {join}));
  EXPECT_EQ(g.outputShape(Shape{4}), (Shape{2}));
  expectModuleGradients(g, randomTensor(Shape{3, 4}, 5));
}

TEST(Graph, ConvolutionalResidualBlockGradients) {
  nn::manualSeed(5);
  nn::Graph g;
  auto x = g.input();
  auto c = g.add("conv", nn::SpatialConvolution(2, 2, 3, 3, 1, 1, 1, 1), {x});
  auto n = g.add("bn", nn::SpatialBatchNormalization(2), {c});
  auto s = g.add("add", nn::CAddTable(), {n, x});
  g.setOutput(g.add("relu", nn::ReLU(), {s}));
  // Batch normalisation is far from linear over a step of 1e-2.
  shoal::testing::GradCheckOptions fine;
  fine.step = 2e-3;
  expectModuleGradients(g, randomTensor(Shape{3, 2, 4, 4}, 6), fine);
}

TEST(Graph, AChainEqualsTheSameLayersInASequential) {
  nn::manualSeed(7);
  nn::Sequential seq;
  seq.add(nn::Linear(6, 8)).add(nn::ReLU()).add(nn::Linear(8, 3));
  nn::manualSeed(7);
  nn::Graph g;
  auto x = g.input();
  auto h = g.add("0", nn::Linear(6, 8), {x});
  h = g.add("1", nn::ReLU(), {h});
  g.setOutput(g.add("2", nn::Linear(8, 3), {h}));
  // The same parameter names, so the same model file entries.
  std::vector<std::string> seqNames, graphNames;
  for (const auto& p : seq.parameters()) seqNames.push_back(p.name);
  for (const auto& p : g.parameters()) graphNames.push_back(p.name);
  EXPECT_EQ(seqNames, (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"}));
  EXPECT_EQ(graphNames, seqNames);
  Tensor x0 = randomTensor(Shape{4, 6}, 8);
  Tensor gy = randomTensor(Shape{4, 3}, 9);
  expectModuleGradients(g, x0);
  for (int pass = 0; pass < 2; ++pass) {
    EXPECT_EQ(g.forward(x0).toVector(), seq.forward(x0).toVector());
    seq.zeroGradParameters();
    g.zeroGradParameters();
    const Tensor& gxSeq = seq.backward(x0, gy);
    const Tensor& gxGraph = g.backward(x0, gy);
    for (int64_t i = 0; i < gxSeq.numel(); ++i) EXPECT_NEAR(gxGraph[i], gxSeq[i], 1e-6) << i;
    std::vector<float> a = seq.flatParameters().grads().toVector();
    std::vector<float> b = g.flatParameters().grads().toVector();
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(b[i], a[i], 1e-6) << i;
  }
  // The parameter-only pass gives the same gradients.
  g.zeroGradParameters();
  g.backwardParameters(x0, gy);
  seq.zeroGradParameters();
  seq.backwardParameters(x0, gy);
  std::vector<float> a = seq.flatParameters().grads().toVector();
  std::vector<float> b = g.flatParameters().grads().toVector();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(b[i], a[i], 1e-6) << i;
}

TEST(Graph, MisuseThroughTheApiIsAClearError) {
  nn::Graph g;
  auto x = g.input();
  EXPECT_THROW(g.add("a.b", nn::ReLU(), {x}), UsageError);
  EXPECT_THROW(g.add("sum", nn::CAddTable(), {x}), UsageError);  // needs two inputs
  EXPECT_THROW(g.add("r", nn::ReLU(), {x, x}), UsageError);      // takes one
  auto a = g.add("a", nn::ReLU(), {x});
  EXPECT_THROW(g.add("a", nn::ReLU(), {a}), UsageError);          // name taken
  g.add("dangling", nn::ReLU(), {x});
  g.setOutput(a);
  try {
    g.forward(randomTensor(Shape{2, 3}, 1));
    FAIL() << "expected an error naming the dangling node";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("\"dangling\""), std::string::npos) << e.what();
  }
}

TEST(GraphSpec, BuildsRoundTripsAndNamesParametersByNode) {
  json spec = json::parse(R"({"type": "Graph", "nodes": [
      {"name": "fc1", "type": "Linear", "out": 4},
      {"name": "act", "type": "ReLU"},
      {"name": "fc2", "type": "Linear", "out": 4, "inputs": ["act"]},
      {"name": "sum", "type": "CAddTable", "inputs": ["fc2", "fc1"]},
      {"name": "cat", "type": "JoinTable", "inputs": ["sum", "input"]}]})");
  auto model = nn::buildModel(spec, Shape{3});
  EXPECT_EQ(model->outputShape(Shape{3}), (Shape{7}));
  std::vector<std::string> names;
  for (const auto& p : model->parameters()) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}));
  auto again = nn::buildModel(model->spec(), Shape{3});
  EXPECT_EQ(again->spec(), model->spec());
}

TEST(GraphSpec, ErrorsNameTheNode) {
  // A cycle.
  std::string e = errorOf(json::parse(R"({"type": "Graph", "nodes": [
      {"name": "a", "type": "ReLU", "inputs": ["b"]},
      {"name": "b", "type": "ReLU", "inputs": ["a"]},
      {"name": "c", "type": "CAddTable", "inputs": ["a", "input"]}]})"), Shape{3});
  EXPECT_NE(e.find("graph.json"), std::string::npos) << e;
  EXPECT_NE(e.find("\"a\", \"b\""), std::string::npos) << e;
  EXPECT_NE(e.find("cycle"), std::string::npos) << e;
  // A missing input.
  e = errorOf(json::parse(R"({"type": "Graph", "nodes": [
      {"name": "a", "type": "ReLU", "inputs": ["nope"]}]})"), Shape{3});
  EXPECT_NE(e.find("node \"a\""), std::string::npos) << e;
  EXPECT_NE(e.find("\"nope\""), std::string::npos) << e;
  // A dangling node.
  e = errorOf(json::parse(R"({"type": "Graph", "nodes": [
      {"name": "a", "type": "ReLU"},
      {"name": "lost", "type": "Tanh", "inputs": ["input"]},
      {"name": "b", "type": "ReLU", "inputs": ["a"]}]})"), Shape{3});
  EXPECT_NE(e.find("\"lost\" is dangling"), std::string::npos) << e;
  // Mismatched shapes at an add.
  e = errorOf(json::parse(R"({"type": "Graph", "nodes": [
      {"name": "a", "type": "Linear", "out": 5},
      {"name": "sum", "type": "CAddTable", "inputs": ["a", "input"]}]})"), Shape{3});
  EXPECT_NE(e.find("node sum"), std::string::npos) << e;
  EXPECT_NE(e.find("[3]"), std::string::npos) << e;
  EXPECT_NE(e.find("[5]"), std::string::npos) << e;
  // Wrong argument inside a node.
  e = errorOf(json::parse(R"({"type": "Graph", "nodes": [
      {"name": "a", "type": "Linear", "outt": 5}]})"), Shape{3});
  EXPECT_NE(e.find("node \"a\" (Linear)"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown argument \"outt\""), std::string::npos) << e;
  // A single-input layer given two inputs, and an output that is not a node.
  e = errorOf(json::parse(R"({"type": "Graph", "nodes": [
      {"name": "a", "type": "ReLU", "inputs": ["input", "input"]}]})"), Shape{3});
  EXPECT_NE(e.find("\"a\""), std::string::npos) << e;
  e = errorOf(json::parse(R"({"type": "Graph", "nodes": [{"name": "a", "type": "ReLU"}], "output": "z"})"), Shape{3});
  EXPECT_NE(e.find("\"z\""), std::string::npos) << e;
}

TEST(GraphSpec, ResNetFromTheZooChainsAndLearnsABatch) {
  nn::manualSeed(11);
  nn::ZooOptions small;
  small.resnetWidths = {4, 8};
  auto model = nn::buildModel(nn::zooSpec("resnet", Shape{1, 12, 12}, 3, small), Shape{1, 12, 12});
  EXPECT_EQ(model->outputShape(Shape{1, 12, 12}), (Shape{3}));
  EXPECT_EQ(model->outputModule().typeName(), "LogSoftMax");
  EXPECT_EQ(model->parameters().front().name, "stem_conv.weight");
  // Plain SGD on one batch of 12 samples: the training loss must fall (gradients flow through
  // both paths of every block; the blocks' own gradients are checked above).
  Tensor x = randomTensor(Shape{12, 1, 12, 12}, 12);
  Tensor target(Shape{12});
  for (int64_t i = 0; i < 12; ++i) target[i] = static_cast<float>(i % 3);
  nn::ClassNLLCriterion nll;
  nn::FlatParameters& flat = model->flatParameters();
  model->train();
  float first = 0, last = 0;
  for (int step = 0; step < 30; ++step) {
    flat.zeroGrads();
    const Tensor& y = model->forward(x);
    last = nll.forward(y, target);
    if (step == 0) first = last;
    model->backwardParameters(x, nll.backward(y, target));
    for (int64_t i = 0; i < flat.count(); ++i) flat.values()[i] -= 0.1f * flat.grads()[i];
  }
  EXPECT_LT(last, 0.5f * first) << "loss " << first << " -> " << last;
}
