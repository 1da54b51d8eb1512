// End-to-end: an imbalanced two-class CSV trained with AUC/PR AUC/log loss/F1 validation, class weights and a stratified split.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "shoal/train/binary_metrics.hpp"
#include "support/cli_runner.hpp"

using shoal::testing::runCli;
using shoal::testing::writeText;

namespace {

// About 10% positives, P(y = 1) logistic in three of five features.
std::string riskCsv(int rows, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::ostringstream s;
  s << "y,a,b,c,d,e\n";
  for (int i = 0; i < rows; ++i) {
    double x[5];
    for (double& v : x) v = normal(gen);
    const double p = 1 / (1 + std::exp(-(-3.0 + 1.6 * x[0] - 1.2 * x[1] + 0.8 * x[2])));
    s << (uniform(gen) < p) << "," << x[0] << "," << x[1] << "," << x[2] << "," << x[3] << "," << x[4] << "\n";
  }
  return s.str();
}

double valueAfter(const std::string& text, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(key + R"(:\s*([0-9.]+))"))) return -1;
  return std::stod(m[1]);
}

nlohmann::json testRecord(const std::string& runDir) {
  std::ifstream in(runDir + "/metrics.jsonl");
  nlohmann::json test;
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    if (j.at("type") == "test") test = j;
  }
  return test;
}

class CliRiskMetrics : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = shoal::testing::makeTempDir("e2e-risk");
    writeText(dir_ + "/train.csv", riskCsv(3000, 1));
    writeText(dir_ + "/test.csv", riskCsv(1000, 2));
  }
  static std::string train(const std::string& run, const std::string& extra, int epochs = 4) {
    return "train --model mlp --hidden 16 --train-csv " + dir_ + "/train.csv --test-csv " + dir_ +
           "/test.csv --label-col y --standardize --epochs " + std::to_string(epochs) + " --batch 64 --optim adam --lr 0.01 --out " + dir_ +
           "/" + run + " --val-methods top1,loss,auc,pr_auc,logloss,precision,recall,f1 " + extra;
  }
  static std::string dir_;
};
std::string CliRiskMetrics::dir_;

TEST_F(CliRiskMetrics, ReportsAucAndCurvesThatMatchThePredictions) {
  auto r = runCli(train("plain", ""));
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("epoch 4"), std::string::npos) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(epoch 1 .* AUC 0\.[0-9]{4}  PR_AUC .* F1 )"))) << r.out;
  const double auc = valueAfter(r.out, "test AUC");
  EXPECT_GT(auc, 0.8) << r.out;
  nlohmann::json test = testRecord(dir_ + "/plain");
  EXPECT_NEAR(test.at("AUC").get<double>(), auc, 1e-4);
  const auto confusion = test.at("confusion").get<std::vector<std::vector<int64_t>>>();
  ASSERT_EQ(confusion.size(), 2u);
  EXPECT_EQ(confusion[0][0] + confusion[0][1] + confusion[1][0] + confusion[1][1], 1000);
  EXPECT_EQ(test.at("roc").at("fpr").size(), test.at("roc").at("tpr").size());
  EXPECT_EQ(test.at("roc").at("fpr").front(), 0.0);
  EXPECT_EQ(test.at("roc").at("tpr").back(), 1.0);

  // The saved model's probabilities give the same AUC (up to predict's printed digits).
  auto p = runCli("predict --model-file " + dir_ + "/plain/model.shoal --data-csv " + dir_ +
                  "/test.csv --label-col y --out " + dir_ + "/pred.csv");
  ASSERT_EQ(p.exitCode, 0) << p.err;
  std::istringstream labels(shoal::testing::readText(dir_ + "/test.csv")), rows(shoal::testing::readText(dir_ + "/pred.csv"));
  std::string label, row;
  std::getline(labels, label), std::getline(rows, row);  // headers
  std::vector<double> p1;
  std::vector<uint8_t> positive;
  while (std::getline(labels, label) && std::getline(rows, row)) {
    positive.push_back(label[0] == '1');
    p1.push_back(std::stod(row.substr(row.rfind(',') + 1)));
  }
  ASSERT_EQ(p1.size(), 1000u);
  EXPECT_NEAR(shoal::train::metrics::rocAuc(p1, positive), auc, 2e-3);
  auto e = runCli("eval --model-file " + dir_ + "/plain/model.shoal --data-csv " + dir_ +
                  "/test.csv --label-col y --metrics auc,logloss");
  ASSERT_EQ(e.exitCode, 0) << e.err;
  EXPECT_DOUBLE_EQ(valueAfter(e.out, "AUC"), auc) << e.out;
  EXPECT_EQ(e.out.find("accuracy"), std::string::npos) << e.out;

  const std::string html = shoal::testing::readText(dir_ + "/plain/report.html");
  EXPECT_NE(html.find("data-chart=\"roc\""), std::string::npos);
  EXPECT_NE(html.find("data-chart=\"pr\""), std::string::npos);
  EXPECT_NE(html.find("data-chart=\"validation_AUC\""), std::string::npos);
}

TEST_F(CliRiskMetrics, BalancedWeightsRaiseRecallAtOneHalf) {
  auto plain = runCli(train("unweighted", "--seed 3"));
  auto balanced = runCli(train("balanced", "--seed 3 --class-weight balanced"));
  ASSERT_EQ(plain.exitCode, 0) << plain.err;
  ASSERT_EQ(balanced.exitCode, 0) << balanced.err;
  // Weighting the rare class about 5x moves the decision boundary towards it.
  EXPECT_GT(valueAfter(balanced.out, "test Recall"), valueAfter(plain.out, "test Recall") + 0.15)
      << plain.out << balanced.out;
}

TEST_F(CliRiskMetrics, StratifiedSplitValidatesOnTheHeldOutShare) {
  auto r = runCli(train("split", "--validation-split 0.2 --stratify", 1));
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("2400 training samples"), std::string::npos) << r.out;
  std::ifstream in(dir_ + "/split/config.json");
  auto config = nlohmann::json::parse(in);
  EXPECT_EQ(config.at("validation").at("split"), 0.2);
  EXPECT_EQ(config.at("validation").at("stratify"), true);
}

TEST_F(CliRiskMetrics, BadSettingsAreOneLineErrorsNamingTheFlag) {
  const std::string base = "train --train-csv " + dir_ + "/train.csv --label-col y --epochs 1 ";
  auto methods = runCli(base + "--val-methods top1,gini");
  EXPECT_EQ(methods.exitCode, 2);
  EXPECT_NE(methods.err.find("--val-methods"), std::string::npos) << methods.err;
  EXPECT_NE(methods.err.find("gini"), std::string::npos) << methods.err;
  auto weights = runCli(base + "--class-weight 1,heavy");
  EXPECT_EQ(weights.exitCode, 2);
  EXPECT_NE(weights.err.find("--class-weight"), std::string::npos) << weights.err;
  auto count = runCli(base + "--class-weight 1,2,3");
  EXPECT_EQ(count.exitCode, 2);
  EXPECT_NE(count.err.find("3 weights for 2 classes"), std::string::npos) << count.err;
  auto stratify = runCli(base + "--stratify");
  EXPECT_EQ(stratify.exitCode, 2);
  EXPECT_NE(stratify.err.find("--validation-split"), std::string::npos) << stratify.err;
}

}  // namespace
