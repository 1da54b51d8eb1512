// Resuming the trainer from a checkpoint continues exactly, dropout's random state included.
#include <gtest/gtest.h>

#include <filesystem>

#include "shoal/io/checkpoint.hpp"
#include "shoal/nn/class_nll_criterion.hpp"
#include "shoal/nn/dropout.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/nn/linear.hpp"
#include "shoal/nn/log_softmax.hpp"
#include "shoal/nn/model_spec.hpp"
#include "shoal/nn/relu.hpp"
#include "shoal/nn/sequential.hpp"
#include "shoal/nn/zoo.hpp"
#include "shoal/optim/adam.hpp"
#include "shoal/optim/sgd.hpp"
#include "shoal/train/optimizer.hpp"
#include "support/bf16_kernels.hpp"
#include "support/cli_runner.hpp"
#include "support/synthetic_data.hpp"

using namespace shoal;

namespace {

// Three classes in 5-d, one shifted feature each.
data::Dataset noisyClasses(int64_t n) {
  return shoal::testing::gaussianClasses(n, 3, 5, /*period=*/5, /*shift=*/2.0f, /*noise=*/1.0f, /*seed=*/3);
}

nn::Sequential net(uint64_t seed, nn::Precision precision = nn::Precision::F32) {
  nn::manualSeed(seed);
  nn::Sequential s = nn::Sequential().add(nn::Linear(5, 16)).add(nn::ReLU()).add(nn::Dropout(0.3))
      .add(nn::Linear(16, 3)).add(nn::LogSoftMax());
  s.setPrecision(precision);
  return s;
}

// Trains `model` until `end`, optionally checkpointing every `every` steps into `dir`.
void trainUntil(nn::Sequential& model, const data::Dataset& data, train::Trigger end,
                const io::Checkpoint* resume, const std::string& dir = "", int64_t every = 0) {
  auto adam = std::make_shared<optim::Adam>(optim::Adam::Options{.lr = 0.01});
  train::Optimizer opt(model, data, std::make_shared<nn::ClassNLLCriterion>(), adam, end, 16);
  train::RunLog quiet("", true);
  opt.setSeed(9).setRunLog(&quiet);
  io::ModelInfo info{Shape{5}, 3, {}, {}};
  if (!dir.empty()) opt.setCheckpointing({dir, every, 2}, info);
  if (resume) opt.resumeFrom(*resume);
  opt.optimize();
}

// Trains `model` with SGD (momentum 0.9) until `end`, checkpointing every 4 steps into `dir`
// (none when empty) for samples of shape `sample`.
void trainWithSgd(nn::Module& model, const data::Dataset& data, train::Trigger end, const io::Checkpoint* resume,
                  const std::string& dir, const Shape& sample) {
  auto sgd = std::make_shared<optim::SGD>(optim::SGD::Options{.lr = 0.05, .momentum = 0.9});
  train::Optimizer opt(model, data, std::make_shared<nn::ClassNLLCriterion>(), sgd, end, 16);
  train::RunLog quiet("", true);
  opt.setSeed(5).setRunLog(&quiet);
  if (!dir.empty()) opt.setCheckpointing({dir, 4, 1}, io::ModelInfo{sample, 3, {}, {}});
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

// bf16: the checkpoint holds the f32 master weights; the resumed run rebuilds the bf16 copy from
// them and continues bit for bit.
TEST(Resume, Bf16ContinuesBitIdentically) {
  SHOAL_SKIP_WITHOUT_BF16_KERNELS();
  data::Dataset data = noisyClasses(200);
  nn::Sequential uninterrupted = net(1, nn::Precision::BF16);
  trainUntil(uninterrupted, data, train::MaxIteration(30), nullptr);
  std::string dir = shoal::testing::makeTempDir("resume-bf16");
  nn::Sequential first = net(1, nn::Precision::BF16);
  trainUntil(first, data, train::MaxIteration(17), nullptr, dir, 5);
  io::LoadedCheckpoint loaded = io::loadNewestCheckpoint(dir, [](const std::string& w) {
    ADD_FAILURE() << "unexpected warning: " << w;
  });
  nn::Sequential resumed = net(99, nn::Precision::BF16);
  io::restoreInto(resumed, loaded.checkpoint, loaded.path);
  trainUntil(resumed, data, train::MaxIteration(30), &loaded.checkpoint);
  EXPECT_EQ(resumed.flatParameters().values().toVector(),
            uninterrupted.flatParameters().values().toVector());
  // bf16 really ran: the same steps in f32 end elsewhere
  nn::Sequential f32 = net(1);
  trainUntil(f32, data, train::MaxIteration(30), nullptr);
  EXPECT_NE(f32.flatParameters().values().toVector(),
            uninterrupted.flatParameters().values().toVector());
  std::filesystem::remove_all(dir);
}

// A graph model (residual blocks, batch normalisation) checkpointed mid-epoch and resumed
// continues bit-identically: the same walk saves and restores every parameter and buffer.
TEST(Resume, GraphModelContinuesBitIdentically) {
  data::Dataset data = shoal::testing::gaussianClasses(96, 3, 64, /*period=*/5, /*shift=*/2.0f,
                                                       /*noise=*/1.0f, /*seed=*/4);
  data.reshapeSamples(Shape{1, 8, 8});
  nn::ZooOptions small;
  small.resnetWidths = {4, 8};
  const nlohmann::json spec = nn::zooSpec("resnet", Shape{1, 8, 8}, 3, small);
  auto build = [&](uint64_t seed) {
    nn::manualSeed(seed);
    return nn::buildModel(spec, Shape{1, 8, 8});
  };
  auto train = [&](nn::Module& model, train::Trigger end, const io::Checkpoint* resume,
                   const std::string& dir) { trainWithSgd(model, data, end, resume, dir, Shape{1, 8, 8}); };
  auto uninterrupted = build(1);
  train(*uninterrupted, train::MaxIteration(10), nullptr, "");

  std::string dir = shoal::testing::makeTempDir("resume-graph");
  auto first = build(1);
  train(*first, train::MaxIteration(4), nullptr, dir);
  io::LoadedCheckpoint loaded = io::loadNewestCheckpoint(dir, [](const std::string& w) {
    ADD_FAILURE() << "unexpected warning: " << w;
  });
  auto resumed = io::restoreModel(loaded.checkpoint, loaded.path);
  train(*resumed, train::MaxIteration(10), &loaded.checkpoint, "");
  EXPECT_EQ(resumed->flatParameters().values().toVector(),
            uninterrupted->flatParameters().values().toVector());
  std::vector<nn::NamedBuffer> a = resumed->stateBuffers(), b = uninterrupted->stateBuffers();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].value->toVector(), b[i].value->toVector()) << a[i].name;
  std::filesystem::remove_all(dir);
}

// A bf16 convolution fused with its ReLU and pooling, whose pooled bf16 output a bf16
// convolution reads: resumed mid-run, it continues bit for bit, and bf16 really ran.
TEST(Resume, Bf16FusedConvolutionBlockContinuesBitIdentically) {
  SHOAL_SKIP_WITHOUT_BF16_KERNELS();
  data::Dataset data = shoal::testing::gaussianClasses(96, 3, 128, /*period=*/5, /*shift=*/2.0f,
                                                       /*noise=*/1.0f, /*seed=*/6);
  data.reshapeSamples(Shape{8, 4, 4});
  const nlohmann::json spec = nlohmann::json::parse(R"({"type": "Sequential", "layers": [
    {"type": "SpatialConvolution", "in": 8, "out": 16, "kernel": [3, 3], "pad": [1, 1]},
    {"type": "ReLU"}, {"type": "SpatialMaxPooling", "kernel": [2, 2], "stride": [2, 2]},
    {"type": "SpatialConvolution", "in": 16, "out": 8, "kernel": [1, 1]}, {"type": "Flatten"},
    {"type": "Linear", "in": 32, "out": 3}, {"type": "LogSoftMax"}]})");
  auto build = [&](uint64_t seed, nn::Precision precision) {
    nn::manualSeed(seed);
    auto model = nn::buildModel(spec, Shape{8, 4, 4});
    model->setPrecision(precision);
    return model;
  };
  auto train = [&](nn::Module& model, train::Trigger end, const io::Checkpoint* resume,
                   const std::string& dir) { trainWithSgd(model, data, end, resume, dir, Shape{8, 4, 4}); };
  auto uninterrupted = build(1, nn::Precision::BF16);
  train(*uninterrupted, train::MaxIteration(10), nullptr, "");
  std::string dir = shoal::testing::makeTempDir("resume-bf16-conv");
  auto first = build(1, nn::Precision::BF16);
  train(*first, train::MaxIteration(6), nullptr, dir);
  io::LoadedCheckpoint loaded = io::loadNewestCheckpoint(dir, [](const std::string& w) {
    ADD_FAILURE() << "unexpected warning: " << w;
  });
  auto resumed = build(99, nn::Precision::BF16);
  io::restoreInto(*resumed, loaded.checkpoint, loaded.path);
  train(*resumed, train::MaxIteration(10), &loaded.checkpoint, "");
  EXPECT_EQ(resumed->flatParameters().values().toVector(),
            uninterrupted->flatParameters().values().toVector());
  auto f32 = build(1, nn::Precision::F32);
  train(*f32, train::MaxIteration(10), nullptr, "");
  EXPECT_NE(f32->flatParameters().values().toVector(),
            uninterrupted->flatParameters().values().toVector());
  std::filesystem::remove_all(dir);
}
