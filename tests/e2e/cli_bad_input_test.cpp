// End-to-end: every kind of bad input ends with exit code 2 and one line naming the file and problem.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>

#include "support/cli_runner.hpp"

using shoal::testing::CliResult;
using shoal::testing::runCli;
using shoal::testing::writeText;

namespace {

std::string bigEndian(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

// An IDX image file of n images 2x2 and a label file of m labels.
std::string idxImages(uint32_t n, uint32_t magic = 0x803, size_t dropBytes = 0) {
  std::string s = bigEndian(magic) + bigEndian(n) + bigEndian(2) + bigEndian(2);
  s += std::string(n * 4, '\x10');
  return s.substr(0, s.size() - dropBytes);
}
std::string idxLabels(uint32_t m, char label = 1) {
  return bigEndian(0x801) + bigEndian(m) + std::string(m, label);
}

class BadInput : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = shoal::testing::makeTempDir("bad-input"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  // Expects exit code 2 and one stderr line containing each of `pieces`.
  static void expectError(const CliResult& r, std::initializer_list<std::string> pieces) {
    EXPECT_EQ(r.exitCode, 2) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    for (const auto& piece : pieces) EXPECT_NE(r.err.find(piece), std::string::npos) << r.err;
  }
  CliResult trainIdx(const std::string& images, const std::string& labels) {
    return runCli("train --model mlp --hidden 8 --epochs 1 --train-images " + images +
                  " --train-labels " + labels + " --out " + path("run"));
  }
  // A small trained model to evaluate bad data and files against.
  std::string trainedModel() {
    writeText(path("ok.csv"), "label,a,b\n0,0.1,0.2\n1,0.9,0.8\n2,0.5,0.5\n1,0.8,0.9\n");
    auto r = runCli("train --model mlp --hidden 4 --epochs 1 --train-csv " + path("ok.csv") +
                    " --quiet --out " + path("model"));
    EXPECT_EQ(r.exitCode, 0) << r.err;
    return path("model/model.shoal");
  }
  std::string dir_;
};

}  // namespace

TEST_F(BadInput, MissingFile) {
  expectError(trainIdx(path("nope-images"), path("nope-labels")), {"nope-images"});
}

TEST_F(BadInput, WrongIdxMagic) {
  writeText(path("img"), idxImages(3, 0x1234));
  writeText(path("lbl"), idxLabels(3));
  expectError(trainIdx(path("img"), path("lbl")), {path("img"), "magic"});
}

TEST_F(BadInput, TruncatedIdx) {
  writeText(path("img"), idxImages(3, 0x803, 5));
  writeText(path("lbl"), idxLabels(3));
  expectError(trainIdx(path("img"), path("lbl")), {path("img"), "truncated"});
}

TEST_F(BadInput, ImageLabelCountMismatch) {
  writeText(path("img"), idxImages(3));
  writeText(path("lbl"), idxLabels(4));
  expectError(trainIdx(path("img"), path("lbl")), {"3", "4"});
}

TEST_F(BadInput, IdxLabelOutsideClassRange) {
  writeText(path("img"), idxImages(3));
  writeText(path("lbl"), idxLabels(3, 12));
  expectError(trainIdx(path("img"), path("lbl")), {path("lbl"), "12"});
}

TEST_F(BadInput, NonNumericCsvCellNamesLineAndColumn) {
  writeText(path("bad.csv"), "label,a,b\n0,1,2\n1,x3,4\n");
  auto r = runCli("train --model mlp --hidden 4 --epochs 1 --train-csv " + path("bad.csv") +
                  " --out " + path("run"));
  expectError(r, {path("bad.csv") + ":3:2", "x3"});
}

TEST_F(BadInput, CsvLabelOutsideTheModelsClasses) {
  std::string model = trainedModel();
  writeText(path("eval.csv"), "label,a,b\n0,0.1,0.2\n12,0.5,0.5\n");
  auto r = runCli("eval --model-file " + model + " --data-csv " + path("eval.csv"));
  expectError(r, {path("eval.csv") + ":3", "12"});
}

TEST_F(BadInput, SpecWithUnknownLayer) {
  writeText(path("spec.json"), R"([{"type": "Linear", "out": 4}, {"type": "Relu"}])");
  writeText(path("ok.csv"), "label,a,b\n0,0.1,0.2\n1,0.9,0.8\n");
  auto r = runCli("train --model " + path("spec.json") + " --train-csv " + path("ok.csv") + " --out " + path("run"));
  expectError(r, {path("spec.json"), "layer 2", "unknown layer type \"Relu\""});
}

TEST_F(BadInput, SpecWithMismatchedSizes) {
  writeText(path("spec.json"),
            R"([{"type": "Linear", "out": 8}, {"type": "Linear", "in": 6, "out": 2}])");
  writeText(path("ok.csv"), "label,a,b\n0,0.1,0.2\n1,0.9,0.8\n");
  auto r = runCli("train --model " + path("spec.json") + " --train-csv " + path("ok.csv") + " --out " + path("run"));
  expectError(r, {path("spec.json"), "layer 2", "6", "8"});
}

TEST_F(BadInput, SpecWithJsonSyntaxError) {
  writeText(path("spec.json"), "[\n  {\"type\": \"Linear\", \"out\": 4},\n  {\"type\" \"ReLU\"}\n]\n");
  writeText(path("ok.csv"), "label,a,b\n0,0.1,0.2\n1,0.9,0.8\n");
  auto r = runCli("train --model " + path("spec.json") + " --train-csv " + path("ok.csv") + " --out " + path("run"));
  expectError(r, {path("spec.json") + ":3:"});
}

TEST_F(BadInput, CorruptModelFile) {
  std::string model = trainedModel();
  std::string bytes = shoal::testing::readText(model);
  bytes[bytes.size() / 2] ^= 0x5a;
  writeText(path("corrupt.shoal"), bytes);
  writeText(path("e.csv"), "label,a,b\n0,0.1,0.2\n");
  expectError(runCli("eval --model-file " + path("corrupt.shoal") + " --data-csv " + path("e.csv")),
              {path("corrupt.shoal"), "checksum"});
  writeText(path("short.shoal"), bytes.substr(0, 30));
  expectError(runCli("eval --model-file " + path("short.shoal") + " --data-csv " + path("e.csv")),
              {path("short.shoal")});
}

TEST_F(BadInput, NewerModelFormat) {
  std::string bytes = shoal::testing::readText(trainedModel());
  bytes[8] = 99;  // the format version follows the 8-byte magic
  writeText(path("newer.shoal"), bytes);
  writeText(path("e.csv"), "label,a,b\n0,0.1,0.2\n");
  expectError(runCli("eval --model-file " + path("newer.shoal") + " --data-csv " + path("e.csv")),
              {path("newer.shoal"), "version 99"});
}

TEST_F(BadInput, NotAModelFile) {
  writeText(path("x.shoal"), "hello, this is text");
  writeText(path("e.csv"), "label,a,b\n0,0.1,0.2\n");
  expectError(runCli("eval --model-file " + path("x.shoal") + " --data-csv " + path("e.csv")),
              {path("x.shoal"), "not a shoal model file"});
}

TEST_F(BadInput, BadUsage) {
  expectError(runCli("train --no-such-flag"), {"--no-such-flag"});
  expectError(runCli("train --data fashion-mnist --optim rmsprop"), {"rmsprop"});
  expectError(runCli("train --data fashion-mnist --lr -1"), {"--lr"});
  expectError(runCli("train --epochs 1"), {"no training data"});
  expectError(runCli("frobnicate"), {"frobnicate"});
}
