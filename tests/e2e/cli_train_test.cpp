// End-to-end: the real shoal binary trains, evaluates and predicts on Fashion-MNIST slices.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "support/cli_runner.hpp"
#include "support/fashion_mnist_test.hpp"

using shoal::testing::readText;
using shoal::testing::runCli;

namespace {

using shoal::testing::fashionMnistInstalled;

double valueAfter(const std::string& text, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(key + R"(:\s*([0-9.]+))"))) return -1;
  return std::stod(m[1]);
}

// One trained model shared by the tests of this file (training is the slow part).
class TrainedMlp : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fashionMnistInstalled()) return;
    dir_ = shoal::testing::makeTempDir("e2e-mlp");
    train_ = runCli("train --model mlp --hidden 256 --data fashion-mnist --train-limit 6000 "
                    "--test-limit 2000 --epochs 3 --batch 64 --optim sgd --lr 0.05 --momentum 0.9 "
                    "--seed 3 --out " + dir_);
  }
  void SetUp() override {
    if (!fashionMnistInstalled()) GTEST_SKIP() << "Debian's dataset-fashion-mnist is not installed";
  }
  static inline std::string dir_;
  static inline shoal::testing::CliResult train_;
};

}  // namespace

TEST(Cli, InfoNamesOneDnnAndThreads) {
  auto r = runCli("info");
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("oneDNN 2."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("threads: "), std::string::npos) << r.out;
}

TEST(Cli, HelpForEachCommand) {
  for (std::string cmd : {"train", "eval", "predict", "info"}) {
    auto r = runCli(cmd + " --help");
    EXPECT_EQ(r.exitCode, 0) << cmd << ": " << r.err;
    EXPECT_NE(r.out.find("--help"), std::string::npos) << cmd;
  }
  auto r = runCli("train --help");
  for (std::string flag : {"--model", "--data", "--epochs", "--batch", "--optim", "--lr",
                           "--momentum", "--weight-decay", "--seed", "--out", "--train-csv",
                           "--label-col", "--no-label", "--scale", "--standardize"})
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
}

TEST_F(TrainedMlp, TrainsAboveThresholdAndWritesTheRunDirectory) {
  ASSERT_EQ(train_.exitCode, 0) << train_.err;
  double accuracy = valueAfter(train_.out, "test accuracy");
  EXPECT_GT(accuracy, 0.78) << train_.out;
  EXPECT_NE(train_.out.find("epoch 3"), std::string::npos) << train_.out;
  EXPECT_NE(train_.out.find("samples/s"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/model.shoal"));
  EXPECT_EQ(readText(dir_ + "/train.log"), train_.out);

  std::ifstream metrics(dir_ + "/metrics.jsonl");
  std::string line;
  std::multiset<std::string> types;
  while (std::getline(metrics, line)) {
    auto j = nlohmann::json::parse(line);  // every line is one JSON object
    types.insert(j.at("type").get<std::string>());
    if (j["type"] == "epoch") {
      EXPECT_GT(j.at("samples_per_sec").get<double>(), 0);
      EXPECT_TRUE(j.at("validation").contains("Top1Accuracy"));
    }
    if (j["type"] == "test") {
      EXPECT_NEAR(j.at("Top1Accuracy").get<double>(), accuracy, 1e-4);
    }
  }
  EXPECT_EQ(types.count("config"), 1u);
  EXPECT_EQ(types.count("epoch"), 3u);
  EXPECT_EQ(types.count("iteration"), 3u * ((6000 + 63) / 64));
  EXPECT_EQ(types.count("test"), 1u);
}

TEST_F(TrainedMlp, EvalOfTheSavedModelMatchesTheTrainingRun) {
  ASSERT_EQ(train_.exitCode, 0) << train_.err;
  auto r = runCli("eval --model-file " + dir_ + "/model.shoal --data fashion-mnist --test-limit 2000");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_DOUBLE_EQ(valueAfter(r.out, "accuracy"), valueAfter(train_.out, "test accuracy")) << r.out;
  EXPECT_GE(valueAfter(r.out, "top5 accuracy"), valueAfter(r.out, "accuracy"));
}

TEST_F(TrainedMlp, PredictWritesClassesAndProbabilities) {
  ASSERT_EQ(train_.exitCode, 0) << train_.err;
  std::string out = dir_ + "/pred.csv";
  auto r = runCli("predict --model-file " + dir_ + "/model.shoal --data fashion-mnist "
                  "--test-limit 500 --out " + out);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  std::ifstream in(out);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "prediction,p0,p1,p2,p3,p4,p5,p6,p7,p8,p9");
  int rows = 0;
  while (std::getline(in, line)) {
    std::stringstream s(line);
    std::string cell;
    std::getline(s, cell, ',');
    int predicted = std::stoi(cell);
    double sum = 0, best = -1;
    int argmax = -1;
    for (int c = 0; std::getline(s, cell, ','); ++c) {
      double p = std::stod(cell);
      sum += p;
      if (p > best) best = p, argmax = c;
    }
    EXPECT_NEAR(sum, 1.0, 1e-4) << line;
    EXPECT_EQ(predicted, argmax) << line;
    ++rows;
  }
  EXPECT_EQ(rows, 500);
}

TEST_F(TrainedMlp, SameSeedSameModel) {
  ASSERT_EQ(train_.exitCode, 0) << train_.err;
  std::string again = shoal::testing::makeTempDir("e2e-mlp-again");
  auto r = runCli("train --model mlp --hidden 256 --data fashion-mnist --train-limit 6000 "
                  "--test-limit 2000 --epochs 3 --batch 64 --optim sgd --lr 0.05 --momentum 0.9 "
                  "--seed 3 --quiet --out " + again);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(readText(again + "/model.shoal") == readText(dir_ + "/model.shoal"))
      << "same seed and command must give the same weights";
}

TEST(CliLeNet5, TrainsOnASliceAboveThreshold) {
  if (!fashionMnistInstalled()) GTEST_SKIP() << "Debian's dataset-fashion-mnist is not installed";
  std::string dir = shoal::testing::makeTempDir("e2e-lenet");
  auto r = runCli("train --model lenet5 --data fashion-mnist --train-limit 6000 --test-limit 2000 "
                  "--epochs 3 --batch 64 --optim sgd --lr 0.05 --momentum 0.9 --out " + dir);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_GT(valueAfter(r.out, "test accuracy"), 0.75) << r.out;
  auto e = runCli("eval --model-file " + dir + "/model.shoal --data fashion-mnist --test-limit 2000");
  ASSERT_EQ(e.exitCode, 0) << e.err;
  EXPECT_DOUBLE_EQ(valueAfter(e.out, "accuracy"), valueAfter(r.out, "test accuracy"));
}
