// Checkpoint files: exact round trips, pruning, ordering, clear errors and falling back past damaged files.
#include "shoal/io/checkpoint.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "shoal/error.hpp"
#include "shoal/io/model_file.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/nn/model_spec.hpp"
#include "shoal/optim/lbfgs.hpp"
#include "shoal/optim/sgd.hpp"
#include "support/cli_runner.hpp"
#include "support/gradient_check.hpp"

using namespace shoal;
namespace fs = std::filesystem;

namespace {

const nlohmann::json kSpec = nlohmann::json::parse(R"({"layers": [
  {"type": "Flatten"}, {"type": "Linear", "out": 8}, {"type": "BatchNormalization"}, {"type": "ReLU"},
  {"type": "Dropout", "p": 0.5}, {"type": "Linear", "out": 3}, {"type": "LogSoftMax"}]})");

class CheckpointFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = shoal::testing::makeTempDir("checkpoint");
    info_.inputShape = Shape{2, 3};
    info_.classes = 3;
    info_.preprocessing.offset = {0.25f};
    info_.preprocessing.scale = {4.0f};
    nn::manualSeed(5);
    model_ = nn::buildModel(kSpec, info_.inputShape);
    // Training state worth keeping: moved parameters and running statistics.
    Tensor& values = model_->flatParameters().values();
    values.copyFrom(shoal::testing::randomTensor(values.shape(), 11));
    model_->train();
    model_->forward(shoal::testing::randomTensor(Shape{4, 2, 3}, 12));
  }
  void TearDown() override { fs::remove_all(dir_); }

  io::Checkpoint checkpoint() {
    io::Checkpoint c = io::captureModel(*model_, info_);
    optim::SGD sgd({.lr = 0.1, .momentum = 0.9});
    Tensor& values = model_->flatParameters().values();
    Tensor params = values.clone(), grads(values.shape());
    sgd.step(params, grads, [&] {
      grads.copyFrom(params);
      return 1.0f;
    });
    c.optim = sgd.saveState();
    c.trainer = {{"epoch", 2}, {"iteration", 17}, {"batch", 3}, {"loss_sum", 1.0 / 3.0}};
    return c;
  }
  std::string write(int64_t iteration, int keep = 10) { return io::writeCheckpoint(dir_, iteration, checkpoint(), keep); }
  std::string name(const std::string& path) const { return fs::path(path).filename().string(); }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const std::string& p : io::listCheckpoints(dir_)) out.push_back(name(p));
    return out;
  }
  void expectReadError(const std::string& bytes, const std::string& piece) {
    std::string bad = dir_ + "/bad.shoalckpt";
    shoal::testing::writeText(bad, bytes);
    try {
      io::readCheckpoint(bad);
      ADD_FAILURE() << "reading must fail with " << piece;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(piece), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("bad.shoalckpt"), std::string::npos) << e.what();
    }
  }

  std::string dir_;
  io::ModelInfo info_;
  std::unique_ptr<nn::Module> model_;
};

std::vector<std::vector<float>> values(const std::vector<Tensor>& ts) {
  std::vector<std::vector<float>> out;
  for (const Tensor& t : ts) out.push_back(t.toVector());
  return out;
}

std::vector<std::vector<float>> values(const std::vector<nn::NamedBuffer>& ts) {
  std::vector<std::vector<float>> out;
  for (const nn::NamedBuffer& t : ts) out.push_back(t.value->toVector());
  return out;
}

std::string generatorState(const nn::Generator& g) {
  std::ostringstream out;
  out << g;
  return out.str();
}

}  // namespace

TEST_F(CheckpointFile, RoundTripKeepsEverything) {
  io::Checkpoint c = checkpoint();
  ASSERT_EQ(c.buffers.size(), 2u);  // running mean and variance
  ASSERT_GE(c.generators.size(), 1u);
  EXPECT_EQ(c.generators[0], generatorState(nn::initGenerator()));
  std::string path = io::writeCheckpoint(dir_, 17, c, 3);
  EXPECT_EQ(name(path), "checkpoint-0000000017.shoalckpt");
  EXPECT_FALSE(fs::exists(path + ".tmp"));

  io::Checkpoint r = io::readCheckpoint(path);
  EXPECT_EQ(r.modelSpec, c.modelSpec);
  EXPECT_EQ(r.info.inputShape, info_.inputShape);
  EXPECT_EQ(r.info.classes, 3);
  EXPECT_EQ(r.info.preprocessing.offset, info_.preprocessing.offset);
  EXPECT_EQ(r.info.preprocessing.scale, info_.preprocessing.scale);
  EXPECT_EQ(r.parameters.toVector(), c.parameters.toVector());
  EXPECT_EQ(r.parameters.shape(), c.parameters.shape());
  EXPECT_EQ(values(r.buffers), values(c.buffers));
  EXPECT_EQ(r.generators, c.generators);
  EXPECT_EQ(r.optim.scalars, c.optim.scalars);
  ASSERT_EQ(r.optim.tensors.size(), 1u);
  EXPECT_EQ(r.optim.tensors[0].first, "momentum_buffer");
  EXPECT_EQ(r.optim.tensors[0].second.toVector(), c.optim.tensors[0].second.toVector());
  EXPECT_EQ(r.trainer, c.trainer);
  EXPECT_EQ(r.trainer.at("loss_sum").get<double>(), 1.0 / 3.0);

  // The rebuilt model predicts identically and the generators continue where they were.
  std::string initState = generatorState(nn::initGenerator());
  nn::initGenerator().discard(1000);
  std::unique_ptr<nn::Module> restored = io::restoreModel(r, path);
  EXPECT_EQ(generatorState(nn::initGenerator()), initState);
  EXPECT_EQ(restored->flatParameters().values().toVector(), model_->flatParameters().values().toVector());
  EXPECT_EQ(values(restored->stateBuffers()), values(model_->stateBuffers()));
  EXPECT_EQ(io::captureModel(*restored, info_).generators, c.generators);
  restored->evaluate();
  model_->evaluate();
  Tensor x = shoal::testing::randomTensor(Shape{5, 2, 3}, 13);
  EXPECT_EQ(restored->forward(x).toVector(), model_->forward(x).toVector());
}

TEST_F(CheckpointFile, RestoreIntoOverwritesAnExistingModel) {
  io::Checkpoint c = checkpoint();
  std::unique_ptr<nn::Module> other = nn::buildModel(kSpec, info_.inputShape);
  ASSERT_NE(other->flatParameters().values().toVector(), c.parameters.toVector());
  io::restoreInto(*other, c, "run/ckpt");
  EXPECT_EQ(other->flatParameters().values().toVector(), c.parameters.toVector());
  EXPECT_EQ(values(other->stateBuffers()), values(c.buffers));
}

TEST_F(CheckpointFile, DoublesOfOptimiserStateSurviveTheFile) {
  // L-BFGS keeps step length, Hessian scale and 1 / s.y as doubles: they must come back exactly.
  optim::LBFGS lbfgs({.maxIter = 5, .historySize = 3, .lineSearch = optim::LBFGS::LineSearch::StrongWolfe});
  Tensor params = Tensor::fromVector({2}, {-1.2f, 1.0f}), grads(params.shape());
  lbfgs.step(params, grads, [&] {
    double x = params[0], y = params[1];
    grads[0] = static_cast<float>(-2 * (1 - x) - 400 * x * (y - x * x));
    grads[1] = static_cast<float>(200 * (y - x * x));
    return static_cast<float>((1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x));
  });
  io::Checkpoint c = checkpoint();
  c.optim = lbfgs.saveState();
  io::Checkpoint r = io::readCheckpoint(io::writeCheckpoint(dir_, 1, c, 1));
  EXPECT_EQ(r.optim.scalars, c.optim.scalars);
  ASSERT_EQ(r.optim.tensors.size(), c.optim.tensors.size());
  for (size_t i = 0; i < c.optim.tensors.size(); ++i) {
    EXPECT_EQ(r.optim.tensors[i].first, c.optim.tensors[i].first);
    EXPECT_EQ(r.optim.tensors[i].second.toVector(), c.optim.tensors[i].second.toVector());
  }
  optim::LBFGS fresh(lbfgs.options());
  fresh.restoreState(r.optim);
  EXPECT_EQ(fresh.functionEvaluations(), lbfgs.functionEvaluations());
}

TEST_F(CheckpointFile, TheGradientExchangesStateSurvivesTheFile) {
  io::Checkpoint plain = checkpoint();
  EXPECT_TRUE(io::readCheckpoint(io::writeCheckpoint(dir_, 1, plain, 3)).exchange.is_null());
  io::Checkpoint c = checkpoint();
  c.exchange = {{"compression", "threshold"}, {"ranks", 2}, {"threshold", 0.25}};
  c.exchangeTensors = {{"rank0.residual", Tensor::fromVector({3}, {1.5f, -2.0f, 0.0f})},
                       {"rank1.residual", Tensor::fromVector({3}, {0.0f, 3.0f, -1e-30f})}};
  io::Checkpoint r = io::readCheckpoint(io::writeCheckpoint(dir_, 2, c, 3));
  EXPECT_EQ(r.exchange, c.exchange);
  ASSERT_EQ(r.exchangeTensors.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(r.exchangeTensors[i].first, c.exchangeTensors[i].first);
    EXPECT_EQ(r.exchangeTensors[i].second.toVector(), c.exchangeTensors[i].second.toVector());
  }
  EXPECT_EQ(r.optim.tensors.size(), c.optim.tensors.size());
}

TEST_F(CheckpointFile, KeepsOnlyTheNewestK) {
  for (int64_t i = 1; i <= 5; ++i) write(i * 100, 2);
  EXPECT_EQ(names(), (std::vector<std::string>{"checkpoint-0000000500.shoalckpt", "checkpoint-0000000400.shoalckpt"}));
  write(600, 1);
  EXPECT_EQ(names(), std::vector<std::string>{"checkpoint-0000000600.shoalckpt"});
  EXPECT_THROW(write(700, 0), UsageError);
  EXPECT_THROW(write(-1, 1), UsageError);
}

TEST_F(CheckpointFile, ListsNewestFirstAndIgnoresOtherFiles) {
  EXPECT_TRUE(io::listCheckpoints(dir_).empty());
  EXPECT_TRUE(io::listCheckpoints(dir_ + "/absent").empty());
  write(2);
  write(10);
  std::string last = write(300);
  fs::copy_file(last, dir_ + "/checkpoint-12345678901.shoalckpt");
  shoal::testing::writeText(dir_ + "/checkpoint-7.shoalckpt", "too few digits");
  shoal::testing::writeText(dir_ + "/checkpoint-00000000x1.shoalckpt", "not a number");
  shoal::testing::writeText(dir_ + "/notes.txt", "");
  fs::create_directory(dir_ + "/checkpoint-0000000999.shoalckpt");
  EXPECT_EQ(names(), (std::vector<std::string>{"checkpoint-12345678901.shoalckpt", "checkpoint-0000000300.shoalckpt",
                                               "checkpoint-0000000010.shoalckpt", "checkpoint-0000000002.shoalckpt"}));
  EXPECT_EQ(io::listCheckpoints(dir_).front(), dir_ + "/checkpoint-12345678901.shoalckpt");
}

TEST_F(CheckpointFile, WritingAnOlderIterationDropsTheAbandonedNewerOnes) {
  // A run resumed from iteration 200 writes 250: the old run's 300 must not win the next resume.
  write(100);
  write(200);
  write(300);
  shoal::testing::writeText(dir_ + "/checkpoint-0000000400.shoalckpt.tmp", "an interrupted write");
  write(250);
  EXPECT_EQ(names(), (std::vector<std::string>{"checkpoint-0000000250.shoalckpt", "checkpoint-0000000200.shoalckpt",
                                               "checkpoint-0000000100.shoalckpt"}));
  EXPECT_FALSE(fs::exists(dir_ + "/checkpoint-0000000400.shoalckpt.tmp"));
}

TEST_F(CheckpointFile, DamagedFilesGiveClearErrors) {
  std::string bytes = shoal::testing::readText(write(1));
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 4;
  expectReadError(flipped, "corrupt checkpoint (checksum mismatch");
  expectReadError(bytes.substr(0, bytes.size() - 9), "checksum mismatch");
  expectReadError(bytes.substr(0, 10), "truncated checkpoint");
  expectReadError("SHOALXXX" + bytes.substr(8), "not a shoal checkpoint (expected the magic \"SHOALCKP\"");
  expectReadError("", "not a shoal checkpoint");
  std::string newer = bytes;
  newer[8] = 2;
  expectReadError(newer, "checkpoint format version 2 is not supported");
  expectReadError(newer, "a newer shoal wrote it?");

  // A model file is not a checkpoint, and a checkpoint is not a model file.
  io::saveModel(dir_ + "/m.shoal", *model_, info_);
  expectReadError(shoal::testing::readText(dir_ + "/m.shoal"), "not a shoal checkpoint");
  try {
    io::loadModel(dir_ + "/checkpoint-0000000001.shoalckpt");
    ADD_FAILURE() << "a checkpoint must not load as a model file";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not a shoal model file"), std::string::npos) << e.what();
  }
  try {
    io::readCheckpoint(dir_ + "/absent.shoalckpt");
    ADD_FAILURE() << "a missing file must not read";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("absent.shoalckpt: cannot open the checkpoint"), std::string::npos);
  }
}

TEST_F(CheckpointFile, LoadNewestFallsBackPastADamagedFile) {
  write(1);
  write(2);
  std::string newest = write(3);
  std::string bytes = shoal::testing::readText(newest);
  bytes[bytes.size() - 30] ^= 1;
  shoal::testing::writeText(newest, bytes);
  std::vector<std::string> warnings;
  io::LoadedCheckpoint loaded = io::loadNewestCheckpoint(dir_, [&](const std::string& w) { warnings.push_back(w); });
  EXPECT_EQ(name(loaded.path), "checkpoint-0000000002.shoalckpt");
  EXPECT_EQ(loaded.checkpoint.parameters.toVector(), model_->flatParameters().values().toVector());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].rfind(newest + ": corrupt checkpoint (checksum mismatch", 0), 0u) << warnings[0];
  EXPECT_NE(warnings[0].find("; falling back to an older checkpoint"), std::string::npos) << warnings[0];

  // Without damage the newest wins and nothing is reported.
  write(4);
  warnings.clear();
  EXPECT_EQ(name(io::loadNewestCheckpoint(dir_, [&](const std::string& w) { warnings.push_back(w); }).path),
            "checkpoint-0000000004.shoalckpt");
  EXPECT_TRUE(warnings.empty());
}

TEST_F(CheckpointFile, LoadNewestSaysWhetherThereWereNoneOrAllWereBad) {
  auto ignore = [](const std::string&) {};
  try {
    io::loadNewestCheckpoint(dir_, ignore);
    ADD_FAILURE() << "an empty directory has nothing to resume from";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no checkpoint to resume from"), std::string::npos) << e.what();
  }
  for (int64_t i = 1; i <= 2; ++i) shoal::testing::writeText(write(i), "garbage");
  int warned = 0;
  try {
    io::loadNewestCheckpoint(dir_, [&](const std::string&) { ++warned; });
    ADD_FAILURE() << "damaged checkpoints must not load";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("all 2 checkpoint files are damaged"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("checkpoint-0000000001.shoalckpt"), std::string::npos) << e.what();
  }
  EXPECT_EQ(warned, 1);
}

TEST_F(CheckpointFile, FailedWritesLeaveEarlierCheckpointsIntact) {
  std::string first = write(1);
  std::string before = shoal::testing::readText(first);
  // A directory where the temporary file must go makes the write fail, even for root.
  fs::create_directory(dir_ + "/checkpoint-0000000002.shoalckpt.tmp");
  EXPECT_THROW(write(2), OutputError);
  EXPECT_EQ(names(), std::vector<std::string>{"checkpoint-0000000001.shoalckpt"});
  EXPECT_EQ(shoal::testing::readText(first), before);
  // A directory that cannot be made.
  shoal::testing::writeText(dir_ + "/file", "");
  EXPECT_THROW(io::writeCheckpoint(dir_ + "/file/sub", 3, checkpoint(), 1), OutputError);
}

TEST_F(CheckpointFile, RestoreRefusesAnotherModel) {
  io::Checkpoint c = checkpoint();
  nlohmann::json otherSpec = kSpec;
  otherSpec["layers"][1]["out"] = 9;
  std::unique_ptr<nn::Module> other = nn::buildModel(otherSpec, info_.inputShape);
  std::vector<float> untouched = other->flatParameters().values().toVector();
  EXPECT_THROW(io::restoreInto(*other, c, "ckpt"), InputError);
  EXPECT_EQ(other->flatParameters().values().toVector(), untouched);

  io::Checkpoint shortParams = c;
  shortParams.parameters = Tensor(Shape{3});
  EXPECT_THROW(io::restoreModel(shortParams, "ckpt"), InputError);
  io::Checkpoint badGenerator = c;
  badGenerator.generators[0] = "12 x";
  EXPECT_THROW(io::restoreModel(badGenerator, "ckpt"), InputError);
  io::Checkpoint missingGenerator = c;
  missingGenerator.generators.clear();
  EXPECT_THROW(io::restoreModel(missingGenerator, "ckpt"), InputError);
}
