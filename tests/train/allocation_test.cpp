// Steady-state training steps allocate nothing on the heap: counted by replacing the global operator new.
#include <gtest/gtest.h>

#include <iostream>

#include "shoal/data/dataset.hpp"
#include "shoal/nn/class_nll_criterion.hpp"
#include "shoal/nn/model_spec.hpp"
#include "shoal/nn/zoo.hpp"
#include "shoal/optim/sgd.hpp"
#include "shoal/train/optimizer.hpp"
#include "support/allocation_counting.hpp"
#include "support/bf16_kernels.hpp"

using shoal::testing::allocations;
using shoal::testing::countingAllocations;
using shoal::testing::oneDnnAllocations;

namespace shoal {
namespace {

// Samples of `sampleShape` with labels in [0, 10), deterministic.
data::Dataset syntheticImages(const Shape& sampleShape, int64_t count) {
  std::vector<uint8_t> pixels(static_cast<size_t>(count * sampleShape.numel()));
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>((i * 37 + i / 97) % 251);
  std::vector<int32_t> labels(static_cast<size_t>(count));
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int32_t>((i * 7) % 10);
  data::Dataset d = data::Dataset::fromBytes(sampleShape, std::move(pixels), std::move(labels), 10);
  d.setPreprocessing(data::Preprocessing::pixelScale());
  return d;
}

// The heap allocations of `steps` steady-state SGD steps (momentum) of the model `spec`
// (named `model`) in `precision`.
long allocationsWhileTraining(const nlohmann::json& spec, const std::string& model,
                              const Shape& sampleShape, int64_t batch, nn::Precision precision) {
  const int64_t warmup = 3, steps = 5;
  data::Dataset train = syntheticImages(sampleShape, batch * (warmup + steps));
  nn::manualSeed(1);
  auto net = nn::buildModel(spec, sampleShape, model);
  net->setPrecision(precision);
  train::RunLog quiet("", true);
  shoal::testing::AllocationCounter counter(warmup);
  train::Optimizer opt(*net, train, nn::ClassNLLCriterion(),
                       optim::SGD({.lr = 0.01, .momentum = 0.9}), train::MaxEpoch(1), batch);
  opt.setRunLog(&quiet).addObserver(&counter);
  shoal::testing::prepareAllocationCounting();
  allocations = 0;
  oneDnnAllocations = 0;
  train::TrainSummary summary = opt.optimize();
  countingAllocations = false;
  EXPECT_EQ(summary.iterations, warmup + steps);
  std::cout << model << ": " << allocations << " allocations by shoal, " << oneDnnAllocations
            << " inside oneDNN's primitive execution, over " << steps << " steps\n";
  return allocations.load();
}

// The same for a zoo model.
long allocationsWhileTraining(const std::string& model, const Shape& sampleShape, int64_t batch,
                              nn::Precision precision = nn::Precision::F32) {
  return allocationsWhileTraining(nn::zooSpec(model, sampleShape, 10), model, sampleShape, batch,
                                  precision);
}

TEST(Allocation, MlpTrainingStepsAllocateNothing) {
  EXPECT_EQ(allocationsWhileTraining("mlp", Shape{1, 28, 28}, 16), 0);
}

TEST(Allocation, LeNet5TrainingStepsAllocateNothing) {
  EXPECT_EQ(allocationsWhileTraining("lenet5", Shape{1, 28, 28}, 16), 0);
}

// A graph model: fan-out, residual adds (gradients summed), batch normalisation.
TEST(Allocation, ResNetGraphTrainingStepsAllocateNothing) {
  EXPECT_EQ(allocationsWhileTraining("resnet", Shape{1, 28, 28}, 8), 0);
}

// bf16: the bf16 weight copy, the batches gathered in bf16, bf16 activations between layers.
TEST(Allocation, Bf16MlpTrainingStepsAllocateNothing) {
  SHOAL_SKIP_WITHOUT_BF16_KERNELS();
  EXPECT_EQ(allocationsWhileTraining("mlp", Shape{1, 28, 28}, 16, nn::Precision::BF16), 0);
}

TEST(Allocation, Bf16LeNet5TrainingStepsAllocateNothing) {
  SHOAL_SKIP_WITHOUT_BF16_KERNELS();
  EXPECT_EQ(allocationsWhileTraining("lenet5", Shape{1, 28, 28}, 16, nn::Precision::BF16), 0);
}

// A bf16 convolution (8 -> 16 planes) fused with its ReLU and pooling, whose pooled bf16 output
// a bf16 convolution reads.
TEST(Allocation, Bf16FusedConvolutionPoolingStepsAllocateNothing) {
  SHOAL_SKIP_WITHOUT_BF16_KERNELS();
  auto layer = [](const char* type) { return nlohmann::json{{"type", type}}; };
  nlohmann::json layers = nlohmann::json::array(
      {nlohmann::json{{"type", "SpatialConvolution"}, {"in", 8}, {"out", 16}, {"kernel", {3, 3}}, {"pad", {1, 1}}},
       layer("ReLU"), nlohmann::json{{"type", "SpatialMaxPooling"}, {"kernel", {2, 2}}, {"stride", {2, 2}}},
       nlohmann::json{{"type", "SpatialConvolution"}, {"in", 16}, {"out", 8}, {"kernel", {3, 3}}},
       layer("Flatten"), nlohmann::json{{"type", "Linear"}, {"in", 8 * 3 * 3}, {"out", 10}},
       layer("LogSoftMax")});
  nlohmann::json spec{{"type", "Sequential"}, {"layers", layers}};
  EXPECT_EQ(allocationsWhileTraining(spec, "conv-pool", Shape{8, 10, 10}, 16, nn::Precision::BF16), 0);
}

// bf16 activations between a graph's nodes (convolutions, batch normalisation, additions).
TEST(Allocation, Bf16ResNetGraphTrainingStepsAllocateNothing) {
  SHOAL_SKIP_WITHOUT_BF16_KERNELS();
  EXPECT_EQ(allocationsWhileTraining("resnet", Shape{1, 28, 28}, 8, nn::Precision::BF16), 0);
}

std::vector<float> kept;  // global, so the allocation cannot be optimised away

TEST(Allocation, CounterSeesAllocations) {
  countingAllocations = true;
  allocations = 0;
  kept.resize(100);
  countingAllocations = false;
  EXPECT_EQ(allocations.load(), 1);
}

}  // namespace
}  // namespace shoal
