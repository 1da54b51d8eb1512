// Steady-state distributed training steps allocate nothing on the heap (2 MPI ranks): threshold-compressed, bf16 and plain, with and without overlap.
#include <gtest/gtest.h>

#include <iostream>

#include "shoal/dist/synchronizer.hpp"
#include "shoal/nn/class_nll_criterion.hpp"
#include "shoal/nn/model_spec.hpp"
#include "shoal/nn/random.hpp"
#include "shoal/nn/zoo.hpp"
#include "shoal/optim/sgd.hpp"
#include "shoal/train/optimizer.hpp"
#include "support/allocation_counting.hpp"
#include "support/synthetic_data.hpp"
#include "two_ranks.hpp"

using namespace shoal;
using shoal::testing::allocations;
using shoal::testing::countingAllocations;
using shoal::testing::oneDnnAllocations;
using shoal::testing::world;

namespace {

// Allocations of this rank over the steady-state steps of the zoo MLP trained on 2 ranks with
// `exchange`; the count is summed over the ranks.
long allocationsOfDistributedSteps(dist::ExchangeOptions exchange, const char* name) {
  const int64_t warmup = 3, steps = 6, batch = 16;
  const Shape sample{1, 28, 28};
  data::Dataset train =
      shoal::testing::gaussianClasses(batch * (warmup + steps), 10, 784, 10, 1.5f, 0.7f, 5 + world().rank());
  nn::manualSeed(1);
  auto net = nn::buildModel(nn::zooSpec("mlp", sample, 10), sample, "mlp");
  exchange.bucketBytes = 400'000;  // several buckets: the first layer's weight gradient spans some
  dist::Synchronizer sync(world(), dist::Strategy::AllReduce, 1, exchange);
  train::RunLog quiet("", /*quiet=*/true);
  shoal::testing::AllocationCounter counter(warmup);
  train::Optimizer opt(*net, train, nn::ClassNLLCriterion(), optim::SGD({.lr = 0.01, .momentum = 0.9}),
                       train::MaxIteration(warmup + steps), batch);
  opt.setShuffle(false).setRunLog(&quiet).setStrategy(&sync).addObserver(&counter);
  shoal::testing::prepareAllocationCounting();
  allocations = 0;
  oneDnnAllocations = 0;
  opt.optimize();
  countingAllocations = false;
  std::cout << "rank " << world().rank() << ", " << name << ": " << allocations << " allocations by shoal, "
            << oneDnnAllocations << " inside oneDNN's primitive execution, over " << steps << " steps\n";
  double total[1] = {static_cast<double>(allocations.load())};
  world().allReduce(std::span<double>(total), dist::ReduceOp::Sum);
  return static_cast<long>(total[0]);
}

TEST(DistributedStepAllocation, ThresholdCompressedStepsAllocateNothing) {
  EXPECT_EQ(allocationsOfDistributedSteps({.compression = dist::Compression::Threshold, .thresholdDensity = 0.01},
                                          "threshold"), 0);
}

TEST(DistributedStepAllocation, ThresholdCompressedOverlappedStepsAllocateNothing) {
  EXPECT_EQ(allocationsOfDistributedSteps(
                {.compression = dist::Compression::Threshold, .thresholdDensity = 0.01, .overlap = true},
                "threshold + overlap"), 0);
}

TEST(DistributedStepAllocation, ThresholdWithMomentumCorrectionAllocatesNothing) {
  EXPECT_EQ(allocationsOfDistributedSteps({.compression = dist::Compression::Threshold, .thresholdDensity = 0.01,
                                           .overlap = true, .momentumCorrection = 0.9},
                                          "threshold + overlap + momentum correction"), 0);
}

TEST(DistributedStepAllocation, Bf16OverlappedStepsAllocateNothing) {
  EXPECT_EQ(allocationsOfDistributedSteps({.compression = dist::Compression::Bf16, .overlap = true}, "bf16 + overlap"),
            0);
}

TEST(DistributedStepAllocation, PlainAllReduceStepsAllocateNothing) {
  EXPECT_EQ(allocationsOfDistributedSteps({}, "plain"), 0);
}

}  // namespace
