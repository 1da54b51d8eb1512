// End-to-end: training on CSV with a named label column, a JSON model spec and stored preprocessing.
#include <gtest/gtest.h>

#include <random>
#include <regex>
#include <sstream>

#include "support/cli_runner.hpp"

using shoal::testing::runCli;
using shoal::testing::writeText;

namespace {

// Three Gaussian blobs in 4-d with features on very different scales, label in column 2 of 6.
std::string blobsCsv(int rows, uint64_t seed, bool withLabel = true) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::ostringstream s;
  s << (withLabel ? "id,f1,label,f2,f3,f4\n" : "id,f1,f2,f3,f4\n");
  for (int i = 0; i < rows; ++i) {
    int label = i % 3;
    double f1 = 1000 + 300 * (label == 1) + 60 * noise(gen), f2 = label + 0.3 * noise(gen);
    double f3 = 0.01 * (label == 2) + 0.002 * noise(gen), f4 = noise(gen);
    s << i % 7 << "," << f1;
    if (withLabel) s << "," << label;
    s << "," << f2 << "," << f3 << "," << f4 << "\n";
  }
  return s.str();
}

double valueAfter(const std::string& text, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(key + R"(:\s*([0-9.]+))"))) return -1;
  return std::stod(m[1]);
}

}  // namespace

TEST(CliCsv, TrainsEvaluatesAndPredictsWithStoredStandardisation) {
  std::string dir = shoal::testing::makeTempDir("e2e-csv");
  writeText(dir + "/train.csv", blobsCsv(900, 1));
  writeText(dir + "/test.csv", blobsCsv(300, 2));
  writeText(dir + "/new.csv", blobsCsv(30, 3, /*withLabel=*/false));
  writeText(dir + "/spec.json", R"({"layers": [
      {"type": "Linear", "out": 16}, {"type": "Tanh"},
      {"type": "Linear", "in": 16, "out": 3}, {"type": "LogSoftMax"}]})");
  auto r = runCli("train --model " + dir + "/spec.json --train-csv " + dir + "/train.csv --test-csv " +
                  dir + "/test.csv --label-col label --standardize --epochs 20 --batch 32 "
                  "--optim adam --lr 0.01 --out " + dir + "/run");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  double accuracy = valueAfter(r.out, "test accuracy");
  EXPECT_GT(accuracy, 0.95) << r.out;

  // eval reads raw CSV and applies the standardisation stored in the model file.
  auto e = runCli("eval --model-file " + dir + "/run/model.shoal --data-csv " + dir +
                  "/test.csv --label-col label");
  ASSERT_EQ(e.exitCode, 0) << e.err;
  EXPECT_DOUBLE_EQ(valueAfter(e.out, "accuracy"), accuracy);

  // predict ignores a label column that is present, and reads files without one.
  auto p = runCli("predict --model-file " + dir + "/run/model.shoal --data-csv " + dir +
                  "/test.csv --label-col label");
  ASSERT_EQ(p.exitCode, 0) << p.err;
  EXPECT_EQ(std::count(p.out.begin(), p.out.end(), '\n'), 301);
  auto q = runCli("predict --model-file " + dir + "/run/model.shoal --data-csv " + dir +
                  "/new.csv --no-label --out " + dir + "/pred.csv");
  ASSERT_EQ(q.exitCode, 0) << q.err;
  std::string pred = shoal::testing::readText(dir + "/pred.csv");
  EXPECT_EQ(std::count(pred.begin(), pred.end(), '\n'), 31);
  EXPECT_EQ(pred.rfind("prediction,p0,p1,p2\n", 0), 0u);
}

// A graph spec (a residual add and a concatenation) trains, saves, evaluates and summarises through
// the CLI; a graph spec with a cycle exits 2 naming the nodes.
TEST(CliCsv, GraphSpecTrainsEvaluatesAndReportsItsErrors) {
  std::string dir = shoal::testing::makeTempDir("e2e-graph");
  writeText(dir + "/train.csv", blobsCsv(900, 4));
  writeText(dir + "/test.csv", blobsCsv(300, 5));
  writeText(dir + "/graph.json", R"({"type": "Graph", "nodes": [
      {"name": "fc1", "type": "Linear", "out": 16, "inputs": ["input"]},
      {"name": "act1", "type": "Tanh"},
      {"name": "fc2", "type": "Linear", "out": 16},
      {"name": "sum", "type": "CAddTable", "inputs": ["fc2", "act1"]},
      {"name": "cat", "type": "JoinTable", "inputs": ["sum", "input"]},
      {"name": "head", "type": "Linear", "out": 3},
      {"name": "out", "type": "LogSoftMax"}]})");
  auto r = runCli("train --model " + dir + "/graph.json --train-csv " + dir + "/train.csv --test-csv " +
                  dir + "/test.csv --label-col label --standardize --epochs 10 --batch 32 "
                  "--optim adam --lr 0.01 --out " + dir + "/run");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("sum = CAddTable"), std::string::npos) << r.out;  // the summary lists nodes
  double accuracy = valueAfter(r.out, "test accuracy");
  EXPECT_GT(accuracy, 0.95) << r.out;
  auto e = runCli("eval --model-file " + dir + "/run/model.shoal --data-csv " + dir +
                  "/test.csv --label-col label");
  ASSERT_EQ(e.exitCode, 0) << e.err;
  EXPECT_DOUBLE_EQ(valueAfter(e.out, "accuracy"), accuracy);

  writeText(dir + "/cycle.json", R"({"type": "Graph", "nodes": [
      {"name": "a", "type": "Tanh", "inputs": ["b"]},
      {"name": "b", "type": "Tanh", "inputs": ["a"]}]})");
  auto c = runCli("train --model " + dir + "/cycle.json --train-csv " + dir + "/train.csv --label-col label");
  EXPECT_EQ(c.exitCode, 2);
  EXPECT_NE(c.err.find("cycle.json"), std::string::npos) << c.err;
  EXPECT_NE(c.err.find("\"a\", \"b\" form a cycle"), std::string::npos) << c.err;
}
