// Model files: identical predictions after a round trip; clear errors for damaged files.
#include "shoal/io/model_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "shoal/error.hpp"
#include "shoal/nn/model_spec.hpp"
#include "shoal/nn/zoo.hpp"
#include "support/cli_runner.hpp"
#include "support/gradient_check.hpp"

using namespace shoal;

namespace {

class ModelFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = shoal::testing::makeTempDir("model-file");
    info_.inputShape = Shape{1, 6, 6};
    info_.classes = 4;
    info_.preprocessing.offset = {0.5f};
    info_.preprocessing.scale = {2.0f};
    nn::manualSeed(9);
    model_ = nn::buildModel(nn::zooSpec("mlp", info_.inputShape, 4, {{12, 7}}), info_.inputShape);
    model_->evaluate();
    io::saveModel(path(), *model_, info_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path() const { return dir_ + "/m.shoal"; }
  void expectLoadError(const std::string& bytes, const std::string& piece) {
    shoal::testing::writeText(dir_ + "/bad.shoal", bytes);
    try {
      io::loadModel(dir_ + "/bad.shoal");
      ADD_FAILURE() << "loading must fail with " << piece;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(piece), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("bad.shoal"), std::string::npos) << e.what();
    }
  }
  std::string dir_;
  io::ModelInfo info_;
  std::unique_ptr<nn::Module> model_;
};

}  // namespace

TEST_F(ModelFile, RoundTripGivesIdenticalPredictions) {
  io::LoadedModel loaded = io::loadModel(path());
  EXPECT_EQ(loaded.info.inputShape, info_.inputShape);
  EXPECT_EQ(loaded.info.classes, 4);
  EXPECT_EQ(loaded.info.preprocessing.offset, info_.preprocessing.offset);
  EXPECT_EQ(loaded.info.preprocessing.scale, info_.preprocessing.scale);
  EXPECT_EQ(loaded.model->spec(), model_->spec());
  Tensor x = shoal::testing::randomTensor(Shape{5, 1, 6, 6}, 3);
  EXPECT_EQ(loaded.model->forward(x).toVector(), model_->forward(x).toVector());
}

TEST_F(ModelFile, NoTemporaryFileIsLeftBehind) {
  EXPECT_FALSE(std::filesystem::exists(path() + ".tmp"));
}

TEST_F(ModelFile, DamagedFilesGiveClearErrors) {
  std::string bytes = shoal::testing::readText(path());
  std::string flipped = bytes;
  flipped[bytes.size() - 20] ^= 1;
  expectLoadError(flipped, "checksum");
  expectLoadError(bytes.substr(0, bytes.size() / 2), "bad.shoal");
  expectLoadError(bytes.substr(0, 10), "truncated");
  expectLoadError("XXXXXXXX" + bytes.substr(8), "not a shoal model file");
  std::string newer = bytes;
  newer[8] = static_cast<char>(io::kModelFormatVersion + 1);
  expectLoadError(newer, "version " + std::to_string(io::kModelFormatVersion + 1));
  expectLoadError("", "not a shoal model file");
}

TEST_F(ModelFile, MissingFileAndUnwritableDirectory) {
  EXPECT_THROW(io::loadModel(dir_ + "/absent.shoal"), InputError);
  EXPECT_THROW(io::saveModel(dir_ + "/no/such/dir/m.shoal", *model_, info_), OutputError);
}
