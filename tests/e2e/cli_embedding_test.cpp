// End-to-end: a JSON model starting with an Embedding trained by `shoal train` on CSV category codes, and a bad code.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <regex>
#include <sstream>

#include "support/cli_runner.hpp"

using shoal::testing::runCli;
using shoal::testing::writeText;

namespace {

// Two columns of category codes 0..4 and a label that depends on both: (a * a + b) % 3, a
// per-code lookup no linear model of the raw codes can learn, but an embedding can. Row
// `badRow` (0-based, after the header), if any, gets the code 9 in column b.
std::string codesCsv(int rows, uint64_t seed, int badRow = -1) {
  std::mt19937_64 gen(seed);
  std::uniform_int_distribution<int> code(0, 4);
  std::ostringstream s;
  s << "a,b,label\n";
  for (int i = 0; i < rows; ++i) {
    int a = code(gen), b = code(gen);
    int label = (a * a + b) % 3;
    if (i == badRow) b = 9;
    s << a << "," << b << "," << label << "\n";
  }
  return s.str();
}

double valueAfter(const std::string& text, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(key + R"(:\s*([0-9.]+))"))) return -1;
  return std::stod(m[1]);
}

const char* kSpec = R"({"layers": [
    {"type": "Embedding", "count": 5, "dim": 4}, {"type": "Flatten"},
    {"type": "Linear", "out": 16}, {"type": "Tanh"},
    {"type": "Linear", "out": 3}, {"type": "LogSoftMax"}]})";

}  // namespace

TEST(CliEmbedding, TrainsOnCategoryCodes) {
  std::string dir = shoal::testing::makeTempDir("e2e-embedding");
  writeText(dir + "/train.csv", codesCsv(600, 1));
  writeText(dir + "/test.csv", codesCsv(200, 2));
  writeText(dir + "/spec.json", kSpec);
  auto r = runCli("train --model " + dir + "/spec.json --train-csv " + dir + "/train.csv --test-csv " +
                  dir + "/test.csv --label-col label --epochs 30 --batch 32 --optim adam --lr 0.02 "
                  "--out " + dir + "/run");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  // Every (a, b) pair occurs in training, so the table is learnt exactly.
  EXPECT_GT(valueAfter(r.out, "test accuracy"), 0.95) << r.out;

  // The saved model rebuilds its Embedding and evaluates raw codes.
  auto e = runCli("eval --model-file " + dir + "/run/model.shoal --data-csv " + dir +
                  "/test.csv --label-col label");
  ASSERT_EQ(e.exitCode, 0) << e.err;
  EXPECT_GT(valueAfter(e.out, "accuracy"), 0.95) << e.out;
}

TEST(CliEmbedding, CodeOutOfRangeIsAOneLineErrorWithExitCode2) {
  std::string dir = shoal::testing::makeTempDir("e2e-embedding-bad");
  writeText(dir + "/train.csv", codesCsv(100, 3, /*badRow=*/41));
  writeText(dir + "/spec.json", kSpec);
  auto r = runCli("train --model " + dir + "/spec.json --train-csv " + dir +
                  "/train.csv --label-col label --epochs 1 --batch 16 --out " + dir + "/run");
  EXPECT_EQ(r.exitCode, 2) << r.out << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("Embedding"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("index 9 "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[0, 5)"), std::string::npos) << r.err;
}
