// Resuming the trainer from a checkpoint continues exactly, dropout's random state included.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "shoal/io/checkpoint.hpp"
#include "shoal/nn/class_nll_criterion.hpp"
#include "shoal/nn/dropout.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/nn/linear.hpp"
#include "shoal/nn/log_softmax.hpp"
#include "shoal/nn/relu.hpp"
#include "shoal/optim/adam.hpp"
#include "shoal/train/optimizer.hpp"
#include "support/cli_runner.hpp"

using namespace shoal;

namespace {

data::Dataset noisyClasses(int64_t n) {
  std::mt19937_64 gen(3);
  std::normal_distribution<float> noise(0, 1);
  std::vector<float> x;
  std::vector<int32_t> y;
  for (int64_t i = 0; i < n; ++i) {
    int32_t label = static_cast<int32_t>(i % 3);
    for (int f = 0; f < 5; ++f) x.push_back(noise(gen) + (f == label ? 2.0f : 0.0f));
    y.push_back(label);
  }
  return data::Dataset::fromFloats(Shape{5}, x, y, 3);
}

nn::Sequential net(uint64_t seed) {
  nn::manualSeed(seed);
  return nn::Sequential().add(nn::Linear(5, 16)).add(nn::ReLU()).add(nn::Dropout(0.3))
      .add(nn::Linear(16, 3)).add(nn::LogSoftMax());
}

// Trains `model` until `end`, optionally checkpointing every `every` steps into `dir`.
void trainUntil(nn::Sequential& model, const data::Dataset& data, train::Trigger end,
                const io::Checkpoint* resume, const std::string& dir = "", int64_t every = 0) {
  auto adam = std::make_shared<optim::Adam>(optim::Adam::Options{.lr = 0.01});
  train::Optimizer opt(model, data, std::make_shared<nn::ClassNLLCriterion>(), adam, end, 16);
  train::RunLog quiet("", true);
  opt.setSeed(9).setRunLog(&quiet);
  io::ModelInfo info{Shape{5}, 3, {}};
  if (!dir.empty()) opt.setCheckpointing({dir, every, 2}, info);
  if (resume) opt.resumeFrom(*resume);
  opt.optimize();
}

}  // namespace

TEST(Resume, ContinuesBitIdenticallyMidEpochWithDropout) {
  data::Dataset data = noisyClasses(200);  // 13 batches per epoch
  nn::Sequential uninterrupted = net(1);
  trainUntil(uninterrupted, data, train::MaxIteration(30), nullptr);

  std::string dir = shoal::testing::makeTempDir("resume");
  nn::Sequential first = net(1);
  trainUntil(first, data, train::MaxIteration(17), nullptr, dir, 5);  // checkpoints 15 and 17
  EXPECT_EQ(io::listCheckpoints(dir).size(), 2u);

  io::LoadedCheckpoint loaded = io::loadNewestCheckpoint(dir, [](const std::string& w) {
    ADD_FAILURE() << "unexpected warning: " << w;
  });
  nn::Sequential resumed = net(99);  // other initial weights and dropout seed: all restored
  io::restoreInto(resumed, loaded.checkpoint, loaded.path);
  trainUntil(resumed, data, train::MaxIteration(30), &loaded.checkpoint);
  EXPECT_EQ(resumed.flatParameters().values().toVector(),
            uninterrupted.flatParameters().values().toVector());

  // Without the checkpoint's random state the continuation differs (the test can fail).
  nn::Sequential other = net(99);
  io::restoreInto(other, loaded.checkpoint, loaded.path);
  other.generators()[0]->seed(12345);
  trainUntil(other, data, train::MaxIteration(30), &loaded.checkpoint);
  EXPECT_NE(other.flatParameters().values().toVector(),
            uninterrupted.flatParameters().values().toVector());
  std::filesystem::remove_all(dir);
}
