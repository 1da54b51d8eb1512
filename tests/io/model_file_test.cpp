// Model files: identical predictions after a round trip; clear errors for damaged files.
#include "shoal/io/model_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "shoal/error.hpp"
#include "shoal/io/binary_container.hpp"
#include "shoal/nn/flat_parameters.hpp"
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

// A file written before parameters had names (format version 1: the flat buffer and the state
// buffers in model order) still loads into the model its spec builds.
TEST_F(ModelFile, VersionOneFilesStillLoad) {
  io::Container old;
  old.header = io::modelInfoToJson(info_);
  old.header["spec"] = model_->spec();
  old.blocks.emplace_back("parameters", model_->flatParameters().values());
  const char magic[8] = {'S', 'H', 'O', 'A', 'L', 'M', 'D', 'L'};
  shoal::testing::writeText(dir_ + "/old.shoal", io::encodeContainer(magic, 1, old));
  io::LoadedModel loaded = io::loadModel(dir_ + "/old.shoal");
  Tensor x = shoal::testing::randomTensor(Shape{3, 1, 6, 6}, 4);
  EXPECT_EQ(loaded.model->forward(x).toVector(), model_->forward(x).toVector());
}

// A graph model (named nodes, batch normalisation buffers) round trips; a file whose names do
// not match the model's is a clear error naming the parameter.
TEST_F(ModelFile, GraphModelsRoundTripByParameterName) {
  nn::ZooOptions small;
  small.resnetWidths = {4, 8};
  io::ModelInfo info{Shape{1, 8, 8}, 3, {}};
  nn::manualSeed(3);
  auto graph = nn::buildModel(nn::zooSpec("resnet", info.inputShape, 3, small), info.inputShape);
  graph->train();
  graph->forward(shoal::testing::randomTensor(Shape{4, 1, 8, 8}, 5));  // moves the running statistics
  graph->evaluate();
  io::saveModel(dir_ + "/graph.shoal", *graph, info);
  io::LoadedModel loaded = io::loadModel(dir_ + "/graph.shoal");
  EXPECT_EQ(loaded.model->spec(), graph->spec());
  Tensor x = shoal::testing::randomTensor(Shape{2, 1, 8, 8}, 6);
  EXPECT_EQ(loaded.model->forward(x).toVector(), graph->forward(x).toVector());

  std::string bytes = shoal::testing::readText(dir_ + "/graph.shoal");
  io::Container c = io::decodeContainer("graph.shoal", bytes, "SHOALMDL", io::kModelFormatVersion, "model file");
  c.header["parameter_names"][0][0] = "stem.weight";
  shoal::testing::writeText(dir_ + "/renamed.shoal", io::encodeContainer("SHOALMDL", io::kModelFormatVersion, c));
  try {
    io::loadModel(dir_ + "/renamed.shoal");
    FAIL() << "expected an error naming the missing parameter";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("\"stem_conv.weight\""), std::string::npos) << e.what();
  }
}
