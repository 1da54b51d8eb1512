// The synthetic credit table: the same seed writes the same files; column types, missing shares and the positive rate as documented.
#include <gtest/gtest.h>

#include <charconv>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "shoal/data/synthetic_risk.hpp"
#include "support/cli_runner.hpp"

namespace shoal::data {
namespace {

std::vector<std::string> cells(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream s(line);
  for (std::string cell; std::getline(s, cell, ',');) out.push_back(cell);
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

bool isNumber(const std::string& cell) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
  return ec == std::errc() && ptr == cell.data() + cell.size();
}

std::string written(int64_t rows, int64_t testRows, uint64_t seed, const std::string& stem) {
  const std::string dir = testing::makeTempDir(stem);
  writeRiskTable({rows, testRows, seed, dir});
  return dir;
}

TEST(SyntheticRisk, SameSeedSameFilesOtherSeedOtherFiles) {
  const std::string a = written(3000, 500, 5, "risk-a"), b = written(3000, 500, 5, "risk-b"), c = written(3000, 500, 6, "risk-c");
  EXPECT_EQ(testing::readText(a + "/train.csv"), testing::readText(b + "/train.csv"));
  EXPECT_EQ(testing::readText(a + "/test.csv"), testing::readText(b + "/test.csv"));
  EXPECT_NE(testing::readText(a + "/train.csv"), testing::readText(c + "/train.csv"));
  EXPECT_NE(testing::readText(a + "/train.csv").substr(0, 20000), testing::readText(a + "/test.csv").substr(0, 20000));
}

TEST(SyntheticRisk, ColumnsPositiveRateAndMissingCellsAsDocumented) {
  const std::string dir = written(40000, 10000, 1, "risk-types");
  const std::vector<RiskColumn>& columns = riskColumns();
  ASSERT_EQ(columns.size(), 40u);
  std::ifstream in(dir + "/train.csv");
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = cells(line);
  ASSERT_EQ(header.size(), columns.size());
  std::vector<int64_t> empty(columns.size(), 0);
  std::vector<std::set<std::string>> values(columns.size());
  int64_t rows = 0, bad = 0;
  while (std::getline(in, line)) {
    const std::vector<std::string> row = cells(line);
    ASSERT_EQ(row.size(), columns.size()) << "row " << rows << ": " << line;
    for (size_t c = 0; c < columns.size(); ++c) {
      const std::string& type = columns[c].type;
      if (row[c].empty()) {
        ++empty[c];
        continue;
      }
      if (type == "numeric") EXPECT_TRUE(isNumber(row[c])) << header[c] << ": " << row[c];
      else if (type == "boolean") EXPECT_TRUE(row[c] == "true" || row[c] == "false") << header[c] << ": " << row[c];
      else if (type == "label") EXPECT_TRUE(row[c] == "good" || row[c] == "bad") << row[c];
      else EXPECT_FALSE(isNumber(row[c])) << header[c] << ": " << row[c];
      if (type != "numeric" && values[c].size() < 10000) values[c].insert(row[c]);
    }
    bad += row.back() == "bad";
    ++rows;
  }
  ASSERT_EQ(rows, 40000);
  EXPECT_NEAR(static_cast<double>(bad) / rows, 0.08, 0.01);
  for (size_t c = 0; c < columns.size(); ++c) {
    EXPECT_EQ(header[c], columns[c].name);
    EXPECT_NEAR(static_cast<double>(empty[c]) / rows, columns[c].missingShare, 0.02) << columns[c].name;
    if (columns[c].type == "categorical") {
      EXPECT_LE(static_cast<int64_t>(values[c].size()), columns[c].categories) << columns[c].name;
      EXPECT_GE(static_cast<int64_t>(values[c].size()), columns[c].categories / 2) << columns[c].name;
    }
  }
  std::ifstream t(dir + "/truth.json");
  const nlohmann::json truth = nlohmann::json::parse(t);
  EXPECT_GT(truth.at("test_bayes_auc").get<double>(), 0.8);
  EXPECT_LT(truth.at("test_bayes_auc").get<double>(), 1.0);
  EXPECT_NEAR(truth.at("train_positive_share").get<double>(), static_cast<double>(bad) / rows, 1e-12);
}

TEST(SyntheticRisk, TheCliPrintsTheAchievableAuc) {
  const std::string dir = testing::makeTempDir("risk-cli");
  auto r = testing::runCli("make-data risk --rows 2000 --test-rows 2000 --seed 2 --out " + dir);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("achievable test AUC (the true default probabilities): 0."), std::string::npos) << r.out;
  auto bad = testing::runCli("make-data risk --rows 0 --out " + dir);
  EXPECT_EQ(bad.exitCode, 2);
  auto unknown = testing::runCli("make-data churn --out " + dir);
  EXPECT_EQ(unknown.exitCode, 2);
}

}  // namespace
}  // namespace shoal::data
