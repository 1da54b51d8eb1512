// End-to-end: early stopping through the CLI on a real small table that a network overfits (Pima Indians diabetes).
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "support/cli_runner.hpp"

using shoal::testing::runCli;

namespace {

const std::string kPima = std::string(SHOAL_FIXTURES_DIR) + "/tables/PimaIndiansDiabetes2.csv";

std::vector<nlohmann::json> records(const std::string& runDir, const std::string& type) {
  std::ifstream in(runDir + "/metrics.jsonl");
  std::vector<nlohmann::json> found;
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    if (j.at("type") == type) found.push_back(j);
  }
  return found;
}

std::string trainPima(const std::string& extra) {
  return "train --model tabular --train-csv " + kPima + " --label-col diabetes --batch 32 --optim adam --lr 0.003 "
         "--seed 1 --val-methods auc,logloss " + extra;
}

}  // namespace

// 768 rows, 100 epochs allowed: the held-out AUC peaks within a few epochs, training stops
// `patience` validations later, and the model file holds the best epoch's weights.
TEST(CliEarlyStop, StopsOnTheHeldOutSetAndKeepsTheBestEpoch) {
  const std::string dir = shoal::testing::makeTempDir("e2e-early");
  auto r = runCli(trainPima("--validation-split 0.2 --stratify --early-stop 3 --epochs 100 --out " + dir + "/run"));
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("early stopping: AUC did not improve on"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("for 3 validations"), std::string::npos) << r.out;
  std::vector<nlohmann::json> epochs = records(dir + "/run", "epoch");
  ASSERT_LT(epochs.size(), 100u);
  // the best validation's epoch, and training went on for exactly 3 more
  int64_t best = 0;
  double bestAuc = 0;
  for (const auto& e : epochs)
    if (e.at("validation").at("AUC").get<double>() > bestAuc) {
      bestAuc = e.at("validation").at("AUC").get<double>();
      best = e.at("epoch").get<int64_t>();
    }
  EXPECT_EQ(epochs.back().at("epoch").get<int64_t>(), best + 3);
  EXPECT_EQ(epochs.back().at("early_stopping").at("best_epoch").get<int64_t>(), best);
  std::vector<nlohmann::json> restored = records(dir + "/run", "restore_best");
  ASSERT_EQ(restored.size(), 1u);
  EXPECT_EQ(restored[0].at("epoch").get<int64_t>(), best);
  EXPECT_EQ(restored[0].at("value").get<double>(), bestAuc);
  std::ifstream config(dir + "/run/config.json");
  EXPECT_EQ(nlohmann::json::parse(config).at("validation").at("early_stop"), 3);

  // The saved model is the best epoch's: a run of exactly that many epochs saves the same file.
  auto exact = runCli(trainPima("--validation-split 0.2 --stratify --epochs " + std::to_string(best) + " --out " +
                                dir + "/exact"));
  ASSERT_EQ(exact.exitCode, 0) << exact.err;
  EXPECT_EQ(shoal::testing::readText(dir + "/run/model.shoal"), shoal::testing::readText(dir + "/exact/model.shoal"));
}

TEST(CliEarlyStop, BadSettingsAreOneLineErrorsNamingTheFlag) {
  auto noSplit = runCli(trainPima("--early-stop 3 --epochs 2"));
  EXPECT_EQ(noSplit.exitCode, 2);
  EXPECT_NE(noSplit.err.find("--early-stop"), std::string::npos) << noSplit.err;
  EXPECT_NE(noSplit.err.find("--validation-split"), std::string::npos) << noSplit.err;
  EXPECT_NE(noSplit.err.find("never chooses on the test set"), std::string::npos) << noSplit.err;
  auto notComputed = runCli(trainPima("--validation-split 0.2 --early-stop 3 --early-stop-metric top5 --epochs 2"));
  EXPECT_EQ(notComputed.exitCode, 2);
  EXPECT_NE(notComputed.err.find("--early-stop-metric"), std::string::npos) << notComputed.err;
  EXPECT_NE(notComputed.err.find("Top5Accuracy is not among --val-methods"), std::string::npos) << notComputed.err;
  auto noPatience = runCli(trainPima("--validation-split 0.2 --early-stop-metric auc --epochs 2"));
  EXPECT_EQ(noPatience.exitCode, 2);
  EXPECT_NE(noPatience.err.find("--early-stop-metric"), std::string::npos) << noPatience.err;
  auto negative = runCli(trainPima("--validation-split 0.2 --early-stop -1 --epochs 2"));
  EXPECT_EQ(negative.exitCode, 2);
  EXPECT_NE(negative.err.find("--early-stop"), std::string::npos) << negative.err;
}
