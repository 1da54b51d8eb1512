// Data-parallel training on 2 MPI ranks (run by ctest under mpirun -np 2): collectives through
// shared memory and through messages, strategy equivalences, bit-identical replicas and summed
// validation counts.
#include <gtest/gtest.h>

#include "shoal/data/shard.hpp"
#include "shoal/dist/communicator.hpp"
#include "shoal/dist/synchronizer.hpp"
#include "shoal/nn/class_nll_criterion.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/nn/linear.hpp"
#include "shoal/nn/log_softmax.hpp"
#include "shoal/nn/random.hpp"
#include "shoal/nn/relu.hpp"
#include "shoal/nn/sequential.hpp"
#include "shoal/optim/adam.hpp"
#include "shoal/optim/lbfgs.hpp"
#include "shoal/optim/sgd.hpp"
#include "shoal/train/optimizer.hpp"
#include "support/fixtures.hpp"
#include "support/synthetic_data.hpp"
#include "two_ranks.hpp"

using namespace shoal;
using shoal::testing::messagesOnly;
using shoal::testing::world;

namespace {

// A value that differs by rank and position and has a full mantissa.
float valueAt(int rank, int64_t i) { return static_cast<float>((rank + 1) * 0.37 + i * 1e-3) / 3.0f; }

// Four Gaussian blobs in 8-d, one per class (features f and f + 4 shifted for class f).
data::Dataset blobs(int64_t n) {
  return shoal::testing::gaussianClasses(n, 4, 8, /*period=*/4, /*shift=*/1.5f, /*noise=*/0.7f, /*seed=*/11);
}

nn::Sequential net() {
  nn::manualSeed(7);  // every model starts from the same weights
  return nn::Sequential().add(nn::Linear(8, 32)).add(nn::ReLU()).add(nn::Linear(32, 4)).add(nn::LogSoftMax());
}

data::Dataset myShard(const data::Dataset& full) {
  return data::takeShard(full, {world().rank(), world().size(), data::Shard::Layout::Strided});
}

// Trains `model` on `data` without shuffling; `sync` null means a plain single-process run.
template <class Method>
void trainFor(nn::Sequential& model, const data::Dataset& data, Method method, int64_t batch,
              int64_t iterations, dist::Synchronizer* sync) {
  train::RunLog quiet("", /*quiet=*/true);
  train::Optimizer opt(model, data, nn::ClassNLLCriterion(), std::move(method),
                       train::MaxIteration(iterations), batch);
  opt.setShuffle(false).setRunLog(&quiet).setStrategy(sync);
  opt.optimize();
}

// True on every rank when every rank holds exactly the same values.
bool identicalOnAllRanks(const Tensor& t) {
  std::vector<float> high(t.data(), t.data() + t.numel()), low = high;
  world().allReduce(std::span<float>(high), dist::ReduceOp::Max);
  world().allReduce(std::span<float>(low), dist::ReduceOp::Min);
  return high == low;
}

TEST(Communicator, RunsOnTwoRanks) { ASSERT_EQ(world().size(), 2) << "run under mpirun -np 2"; }

TEST(Communicator, ReducesBroadcastsAndGathers) {
  const int r = world().rank();
  std::vector<float> sum{1.0f + r, 10.0f * r}, max = sum, min = sum;
  world().allReduce(std::span<float>(sum), dist::ReduceOp::Sum);
  world().allReduce(std::span<float>(max), dist::ReduceOp::Max);
  world().allReduce(std::span<float>(min), dist::ReduceOp::Min);
  EXPECT_EQ(sum, (std::vector<float>{3.0f, 10.0f}));
  EXPECT_EQ(max, (std::vector<float>{2.0f, 10.0f}));
  EXPECT_EQ(min, (std::vector<float>{1.0f, 0.0f}));
  std::vector<double> d{0.5 * r};
  world().allReduce(std::span<double>(d), dist::ReduceOp::Sum);
  EXPECT_EQ(d[0], 0.5);
  std::vector<float> b{static_cast<float>(r + 5)};
  world().broadcast(std::span<float>(b), 1);
  EXPECT_EQ(b[0], 6.0f);
  EXPECT_EQ(world().allGather(100 + r), (std::vector<int64_t>{100, 101}));
  EXPECT_GE(world().stats().collectives, 6);
  EXPECT_GT(world().stats().bytesSent, 0);
}

TEST(Communicator, SharedMemorySumsEqualMessageSums) {
  const int r = world().rank();
  const int64_t n = 100'003;  // not a multiple of the per-rank slice of whole cache lines
  float* memory = world().reducibleMemory(n);
  ASSERT_NE(memory, nullptr) << "ranks on one machine get shared memory";
  EXPECT_EQ(messagesOnly().reducibleMemory(n), nullptr);
  std::vector<float> viaMessages(n);
  for (int64_t i = 0; i < n; ++i) memory[i] = viaMessages[i] = valueAt(r, i);
  const double bytesBefore = world().stats().bytesSent;
  // From element 3 on: a range that starts off a cache line; elements 0-2 must stay as they are.
  world().allReduce(std::span<float>(memory + 3, n - 3), dist::ReduceOp::Sum);
  messagesOnly().allReduce(std::span<float>(viaMessages).subspan(3), dist::ReduceOp::Sum);
  for (int64_t i = 0; i < 3; ++i) EXPECT_EQ(memory[i], valueAt(r, i)) << i;
  int64_t differing = 0;
  for (int64_t i = 3; i < n; ++i) differing += memory[i] != viaMessages[i];
  EXPECT_EQ(differing, 0) << "two ranks' sums are the same bits either way";
  EXPECT_EQ(memory[n - 1], valueAt(0, n - 1) + valueAt(1, n - 1));
  EXPECT_NEAR(world().stats().bytesSent - bytesBefore, (n - 3) * sizeof(float), 1.0)
      << "2 (p-1)/p of the bytes";
}

TEST(Communicator, SmallMessageReductionsCombineInRankOrderAndMatchSharedMemory) {
  // up to 256 bytes ride on the arrival messages; longer ones go as an exchange after them
  const int r = world().rank();
  for (size_t n : {size_t{1}, size_t{3}, size_t{64}, size_t{65}}) {
    std::vector<float> sum(n), max(n), min(n);
    std::vector<double> dsum(n);
    for (size_t i = 0; i < n; ++i) {
      sum[i] = max[i] = min[i] = 0.1f * static_cast<float>(i) + (r == 0 ? 1e8f : -1e8f + 3.0f);
      dsum[i] = 0.1 * static_cast<double>(i) + (r == 0 ? 1e17 : -1e17 + 3.0);
    }
    std::vector<float> viaMemory = sum;
    messagesOnly().allReduce(std::span<float>(sum), dist::ReduceOp::Sum);
    messagesOnly().allReduce(std::span<float>(max), dist::ReduceOp::Max);
    messagesOnly().allReduce(std::span<float>(min), dist::ReduceOp::Min);
    messagesOnly().allReduce(std::span<double>(dsum), dist::ReduceOp::Sum);
    world().allReduce(std::span<float>(viaMemory), dist::ReduceOp::Sum);
    for (size_t i = 0; i < n; ++i) {
      const float mine0 = 0.1f * static_cast<float>(i) + 1e8f, mine1 = 0.1f * static_cast<float>(i) + (-1e8f + 3.0f);
      EXPECT_EQ(sum[i], mine0 + mine1) << n << " " << i;
      EXPECT_EQ(max[i], mine0) << n << " " << i;
      EXPECT_EQ(min[i], mine1) << n << " " << i;
      EXPECT_EQ(dsum[i], (0.1 * static_cast<double>(i) + 1e17) + (0.1 * static_cast<double>(i) + (-1e17 + 3.0)));
    }
    EXPECT_EQ(sum, viaMemory) << n;
    EXPECT_TRUE(identicalOnAllRanks(Tensor::fromVector({static_cast<int64_t>(n)}, sum))) << n;
  }
}

TEST(Communicator, ManyReductionsInARowStayInStep) {
  // A rank that runs ahead must not overwrite values a slower rank has yet to read.
  const int r = world().rank();
  float* memory = world().reducibleMemory(4096);
  ASSERT_NE(memory, nullptr);
  int64_t wrong = 0;
  for (int round = 0; round < 3000; ++round) {
    double totals[3] = {1.0 * round + r, 0.5 * r, -1.0 * round};
    world().allReduce(std::span<double>(totals), dist::ReduceOp::Sum);
    wrong += totals[0] != 2.0 * round + 1 || totals[1] != 0.5 || totals[2] != -2.0 * round;
    float peak = static_cast<float>(round % 7 == r ? 100 + round : round);
    world().allReduce(std::span<float>(&peak, 1), dist::ReduceOp::Max);
    wrong += peak != static_cast<float>(round % 7 <= 1 ? 100 + round : round);
    if (round % 100 == 0) {
      for (int64_t i = 0; i < 4096; ++i) memory[i] = static_cast<float>(round + r * i);
      world().allReduce(std::span<float>(memory, 4096), dist::ReduceOp::Sum);
      for (int64_t i = 0; i < 4096; ++i) wrong += memory[i] != static_cast<float>(2 * round + i);
    }
  }
  EXPECT_EQ(wrong, 0);
}

TEST(DataParallel, AllReduceOfTwoHalfBatchesEqualsOneRankWithTheWholeBatch) {
  data::Dataset full = blobs(512);
  nn::Sequential reference = net();
  trainFor(reference, full, optim::SGD({.lr = 0.1, .momentum = 0.9}), 128, 12, nullptr);

  nn::Sequential replica = net();
  dist::Synchronizer sync(world(), dist::Strategy::AllReduce);
  trainFor(replica, myShard(full), optim::SGD({.lr = 0.1, .momentum = 0.9}), 64, 12, &sync);
  shoal::testing::expectNear(replica.flatParameters().values(), reference.flatParameters().values(),
                      1e-5, 1e-6, "2 ranks x 64 vs 1 rank x 128 after 12 steps");
  EXPECT_TRUE(identicalOnAllRanks(replica.flatParameters().values()));
}

TEST(DataParallel, SharedMemoryAndMessagesTrainTheSameWeights) {
  data::Dataset shard = myShard(blobs(512));
  nn::Sequential shared = net(), messaged = net();
  dist::Synchronizer viaSharedMemory(world(), dist::Strategy::AllReduce);
  dist::Synchronizer viaMessages(messagesOnly(), dist::Strategy::AllReduce);
  trainFor(shared, shard, optim::SGD({.lr = 0.1, .momentum = 0.9}), 64, 12, &viaSharedMemory);
  trainFor(messaged, shard, optim::SGD({.lr = 0.1, .momentum = 0.9}), 64, 12, &viaMessages);
  EXPECT_EQ(shared.flatParameters().values().toVector(), messaged.flatParameters().values().toVector());
  EXPECT_FALSE(shared.flatParameters().grads().sharesData(messaged.flatParameters().grads()));
}

TEST(DataParallel, AveragingEveryStepWithPlainSgdEqualsAllReduce) {
  data::Dataset shard = myShard(blobs(512));
  nn::Sequential averaged = net(), reduced = net();
  dist::Synchronizer average(world(), dist::Strategy::Average, 1);
  dist::Synchronizer allReduce(world(), dist::Strategy::AllReduce);
  trainFor(averaged, shard, optim::SGD({.lr = 0.1}), 64, 10, &average);
  trainFor(reduced, shard, optim::SGD({.lr = 0.1}), 64, 10, &allReduce);
  shoal::testing::expectNear(averaged.flatParameters().values(), reduced.flatParameters().values(), 1e-5,
                      1e-6, "average K=1 vs allreduce");
}

TEST(DataParallel, EveryStrategyLeavesBitIdenticalReplicas) {
  data::Dataset shard = myShard(blobs(512));
  for (auto strategy : {dist::Strategy::AllReduce, dist::Strategy::Average}) {
    nn::Sequential model = net();
    dist::Synchronizer sync(world(), strategy, 3);
    trainFor(model, shard, optim::SGD({.lr = 0.1, .momentum = 0.9}), 64, 9, &sync);
    EXPECT_TRUE(identicalOnAllRanks(model.flatParameters().values())) << dist::strategyName(strategy);
  }
  nn::Sequential adam = net();
  dist::Synchronizer averageAdam(world(), dist::Strategy::Average, 3);
  trainFor(adam, shard, optim::Adam({.lr = 0.01}), 64, 9, &averageAdam);
  EXPECT_TRUE(identicalOnAllRanks(adam.flatParameters().values())) << "average with Adam";
  nn::Sequential model = net();
  dist::Synchronizer sync(world(), dist::Strategy::Lbfgs);
  trainFor(model, shard, optim::LBFGS({.maxIter = 4}), 64, 3, &sync);
  EXPECT_TRUE(identicalOnAllRanks(model.flatParameters().values())) << "lbfgs";
}

TEST(DataParallel, AveragingAlsoAveragesMomentum) {
  data::Dataset shard = myShard(blobs(512));
  nn::Sequential model = net();
  dist::Synchronizer sync(world(), dist::Strategy::Average, 4);
  auto sgd = std::make_shared<optim::SGD>(optim::SGD::Options{.lr = 0.1, .momentum = 0.9});
  train::RunLog quiet("", true);
  train::Optimizer opt(model, shard, std::make_shared<nn::ClassNLLCriterion>(), sgd, train::MaxIteration(8), 64);
  opt.setShuffle(false).setRunLog(&quiet).setStrategy(&sync);
  opt.optimize();
  optim::OptimState state = sgd->saveState();
  ASSERT_EQ(state.tensors.size(), 1u);
  EXPECT_TRUE(identicalOnAllRanks(state.tensors[0].second));
}

TEST(DataParallel, FullBatchLbfgsOverTwoShardsMatchesOneProcessOverAllData) {
  data::Dataset full = blobs(512);
  auto single = dist::singleProcess();
  nn::Sequential reference = net();
  dist::Synchronizer alone(*single, dist::Strategy::Lbfgs);
  trainFor(reference, full, optim::LBFGS({.maxIter = 5}), 100, 3, &alone);

  nn::Sequential replica = net();
  dist::Synchronizer sync(world(), dist::Strategy::Lbfgs);
  trainFor(replica, myShard(full), optim::LBFGS({.maxIter = 5}), 100, 3, &sync);
  shoal::testing::expectNear(replica.flatParameters().values(), reference.flatParameters().values(),
                      1e-4, 1e-5, "L-BFGS over 2 shards vs one process");
}

TEST(DataParallel, ValidationCountsAddUpToTheWholeSet) {
  data::Dataset full = blobs(300);
  nn::Sequential model = net();
  nn::ClassNLLCriterion nll;
  std::vector<train::ValidationMethod> methods{train::Top1Accuracy(), train::Loss(), train::AUC(),
                                               train::LogLoss()};
  auto whole = train::evaluate(model, full, methods, nll, 64);
  auto parts = train::evaluate(model, myShard(full), methods, nll, 64, &world());
  EXPECT_EQ(parts[0].count, 300);
  EXPECT_EQ(parts[0].sum, whole[0].sum);
  EXPECT_NEAR(parts[1].value(), whole[1].value(), 1e-6);
  // AUC and log loss over the scores gathered from both ranks: those of the whole set
  EXPECT_EQ(parts[2].count, 300);
  EXPECT_NEAR(parts[2].value(), whole[2].value(), 1e-12);
  EXPECT_EQ(parts[2].perClass.size(), whole[2].perClass.size());
  // Log loss: the scores come from batches of other sizes, whose products may round differently
  EXPECT_NEAR(parts[3].value(), whole[3].value(), 1e-6);
}

}  // namespace
