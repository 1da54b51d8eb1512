// A synthetic credit-risk table with a known logistic signal: the seeds' 3M/1M scenario, written as CSV.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace shoal::data {

struct RiskTableOptions {
  int64_t trainRows = 3'000'000;
  int64_t testRows = 1'000'000;
  uint64_t seed = 1;
  std::string outDir;  // gets train.csv, test.csv and truth.json
};

// A column of the table and how it is written: "numeric" (empty cells where missing),
// "categorical" (strings), "boolean" (true/false) or "label" (good/bad).
struct RiskColumn {
  std::string name;
  std::string type;
  double missingShare = 0;  // the share of empty cells by design
  int64_t categories = 0;   // distinct values of a categorical column
};

// The columns in file order: 25 numeric (skewed incomes and balances, counts, ratios, 4 pure
// noise; 6 with missing cells), 7 low-cardinality categorical, 3 high-cardinality categorical
// (region 800 values, employer 5,000, branch 300, Zipf-like frequencies), 4 booleans, and the
// label `default` (about 8% "bad").
const std::vector<RiskColumn>& riskColumns();

// What was written: positive shares and the AUC that the true default probabilities reach on the
// test set (the best any model can do on it, "Bayes AUC"), and the train set's.
struct RiskTableSummary {
  int64_t trainRows = 0, testRows = 0;
  double trainPositiveShare = 0, testPositiveShare = 0;
  double trainBayesAuc = 0, testBayesAuc = 0;
  double seconds = 0;
};

// Writes outDir/train.csv, outDir/test.csv (header, one row per loan; every row is a function of
// the seed, the part and its index only, so the files do not depend on the thread count) and
// outDir/truth.json (the summary and the columns). OutputError when a file cannot be written.
// The default probability is sigmoid(b0 + the effects documented in docs/risk-metrics.md):
// credit score, debt-to-income, utilisation, delinquencies, income (and its missingness), rate,
// grade, job type, home ownership, guarantor, region and employer effects, and three interactions.
RiskTableSummary writeRiskTable(const RiskTableOptions& options);

}  // namespace shoal::data
