// End-to-end: every run records config.json, and `shoal train --config` repeats a run bit for bit.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "shoal/train/run_config.hpp"
#include "support/cli_runner.hpp"

using shoal::testing::readText;
using shoal::testing::runCli;
using shoal::testing::writeText;

namespace {

// Three noisy classes in 5 features, label first.
std::string blobsCsv(int rows, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::ostringstream s;
  for (int i = 0; i < rows; ++i) {
    s << i % 3;
    for (int f = 0; f < 5; ++f) s << "," << (f == i % 3 ? 2.0 : 0.0) + noise(gen);
    s << "\n";
  }
  return s.str();
}

// The "iteration" records of a run's metrics: epoch, iteration, loss and lr of every step.
std::vector<std::string> iterationRecords(const std::string& runDir) {
  std::ifstream in(runDir + "/metrics.jsonl");
  std::vector<std::string> records;
  for (std::string line; std::getline(in, line);)
    if (line.find("\"type\":\"iteration\"") != std::string::npos) records.push_back(line);
  return records;
}

class ConfigRuns : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = shoal::testing::makeTempDir("e2e-config");
    writeText(dir_ + "/train.csv", blobsCsv(400, 1));
    writeText(dir_ + "/test.csv", blobsCsv(100, 2));
  }
  std::string dir_;
};

}  // namespace

TEST_F(ConfigRuns, RepeatingARunFromItsConfigGivesTheSameLossesAndModelBytes) {
  auto first = runCli("train --model mlp --hidden 16 --train-csv " + dir_ + "/train.csv --test-csv " +
                      dir_ + "/test.csv --standardize --iterations 40 --batch 32 --optim sgd --lr 0.05 "
                      "--momentum 0.9 --seed 5 --quiet --out " + dir_ + "/x");
  ASSERT_EQ(first.exitCode, 0) << first.err;
  auto again = runCli("train --config " + dir_ + "/x/config.json --out " + dir_ + "/y");
  ASSERT_EQ(again.exitCode, 0) << again.err;

  EXPECT_EQ(readText(dir_ + "/x/model.shoal"), readText(dir_ + "/y/model.shoal"));
  std::vector<std::string> losses = iterationRecords(dir_ + "/x");
  EXPECT_EQ(losses.size(), 40u);
  EXPECT_EQ(iterationRecords(dir_ + "/y"), losses);
  // The repeat records the same configuration but for its own run directory.
  auto x = nlohmann::json::parse(readText(dir_ + "/x/config.json"));
  auto y = nlohmann::json::parse(readText(dir_ + "/y/config.json"));
  EXPECT_EQ(y["output"]["dir"], dir_ + "/y");
  y["output"]["dir"] = x["output"]["dir"];
  EXPECT_EQ(x, y);
}

TEST_F(ConfigRuns, FlagsGivenBesidesTheConfigOverrideIt) {
  auto first = runCli("train --model mlp --hidden 8 --train-csv " + dir_ + "/train.csv --iterations 5 "
                      "--batch 32 --quiet --out " + dir_ + "/x");
  ASSERT_EQ(first.exitCode, 0) << first.err;
  auto shorter = runCli("train --config " + dir_ + "/x/config.json --iterations 3 --out " + dir_ + "/y");
  ASSERT_EQ(shorter.exitCode, 0) << shorter.err;
  EXPECT_EQ(iterationRecords(dir_ + "/y").size(), 3u);
  auto y = nlohmann::json::parse(readText(dir_ + "/y/config.json"));
  EXPECT_EQ(y["end"]["iterations"], 3);
  EXPECT_EQ(y["model"]["hidden"], nlohmann::json::array({8}));
}

TEST_F(ConfigRuns, TheDefaultsOfTheFlagsAreTheConfigurationsDefaults) {
  auto r = runCli("train --train-csv " + dir_ + "/train.csv --iterations 1 --quiet --out " + dir_ + "/x");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  shoal::train::RunConfig expected;
  expected.data.trainCsv = dir_ + "/train.csv";
  expected.end.iterations = 1;
  expected.output.quiet = true;
  expected.output.dir = dir_ + "/x";
  expected.output.report = true;
  EXPECT_EQ(nlohmann::json::parse(readText(dir_ + "/x/config.json")), expected.toJson());
}

TEST_F(ConfigRuns, ABadConfigFileNamesTheKey) {
  writeText(dir_ + "/bad.json", R"({"optim": {"lr": "fast"}})");
  auto r = runCli("train --config " + dir_ + "/bad.json");
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("bad.json: run config: \"optim.lr\": expected a number or null, got \"fast\""),
            std::string::npos) << r.err;
  writeText(dir_ + "/unknown.json", R"({"optim": {"lr_rate": 0.1}})");
  r = runCli("train --config " + dir_ + "/unknown.json");
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("unknown key \"optim.lr_rate\""), std::string::npos) << r.err;
}

TEST_F(ConfigRuns, ATableWithLocalShardsAndMseOnClassLabelsAreRefusedByKey) {
  auto r = runCli("train --train-csv " + dir_ + "/train.csv --table --shard local --iterations 1 --quiet");
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("--shard local keeps the training set each rank is given whole, but a table"),
            std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--shard"), std::string::npos) << r.err;
  writeText(dir_ + "/mse.json", R"({"loss": "mse", "validation": {"methods": ["loss"]}})");
  r = runCli("train --config " + dir_ + "/mse.json --train-csv " + dir_ + "/train.csv --iterations 1 --quiet");
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("MSECriterion (mse) needs numeric targets, but the training data has class labels"),
            std::string::npos) << r.err;
}
