// End-to-end: the tabular model on a loans-like table (string labels, categories, empty cells) through train, eval and predict.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <regex>
#include <sstream>

#include "support/cli_runner.hpp"

using shoal::testing::runCli;
using shoal::testing::runShell;
using shoal::testing::writeText;

namespace {

const std::string kLoans = std::string(SHOAL_FIXTURES_DIR) + "/loans.csv";

double valueAfter(const std::string& text, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(key + R"(:\s*([0-9.]+))"))) return -1;
  return std::stod(m[1]);
}

}  // namespace

TEST(CliTable, TabularTrainsOnStringsCategoriesAndEmptyCellsWithNothingElseGiven) {
  const std::string dir = shoal::testing::makeTempDir("e2e-table");
  auto r = runCli("train --model tabular --train-csv " + kLoans + " --label-col Status --epochs 2 --out " + dir + "/plain");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("test accuracy"), std::string::npos) << r.out;  // the held-out share
  EXPECT_NE(r.out.find("Embedding("), std::string::npos) << r.out;    // City: 32 categories

  r = runCli("train --model tabular --train-csv " + kLoans +
             " --label-col Status --epochs 40 --optim adam --hidden 32 --batch 32 --out " + dir + "/run");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_GT(valueAfter(r.out, "test accuracy"), 0.6) << r.out;

  // eval reads the same strings; the label column is found by the model's name for it.
  auto e = runCli("eval --model-file " + dir + "/run/model.shoal --data-csv " + kLoans);
  ASSERT_EQ(e.exitCode, 0) << e.err;
  EXPECT_GT(valueAfter(e.out, "accuracy"), 0.6) << e.out;

  // predict: columns in another order, no label, an unseen category, empty and NA cells.
  writeText(dir + "/new.csv",
            "Records,Age,Debt,Assets,Income,City,Job,Marital,Home\n"
            "false,30,100,NA,,Atlantis,fixed,married,boat\n"
            "true,50,900,100,80,Porto,partime,,rent\n");
  auto p = runCli("predict --model-file " + dir + "/run/model.shoal --data-csv " + dir + "/new.csv");
  ASSERT_EQ(p.exitCode, 0) << p.err;
  std::istringstream lines(p.out);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "prediction,bad,good");
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(std::getline(lines, line)) << p.out;
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, std::regex(R"((good|bad),([0-9.e-]+),([0-9.e-]+))"))) << line;
    EXPECT_NEAR(std::stod(m[2]) + std::stod(m[3]), 1.0, 1e-4);
    EXPECT_EQ(m[1], std::stod(m[2]) > std::stod(m[3]) ? "bad" : "good");
  }
}

TEST(CliTable, BadTablesExitTwoWithOneLine) {
  const std::string dir = shoal::testing::makeTempDir("e2e-table-bad");
  std::string text = "y,x\n";
  for (int i = 0; i < 1200; ++i) text += std::string(i % 2 ? "a" : "b") + "," + std::to_string(i) + "\n";
  writeText(dir + "/change.csv", text + "a,lots\n");
  auto r = runCli("train --model tabular --train-csv " + dir + "/change.csv --label-col y --epochs 1 --out " + dir + "/r1");
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("change.csv:1202:2: column \"x\" is numeric"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("\"data.type_errors\": \"missing\""), std::string::npos) << r.err;
  r = runCli("train --model tabular --train-csv " + dir + "/change.csv --label-col y --epochs 1 --type-errors missing --out " +
             dir + "/r2");
  EXPECT_EQ(r.exitCode, 0) << r.err;
  writeText(dir + "/one.csv", "y,x\ngood,1\ngood,2\ngood,3\n");
  r = runCli("train --model tabular --train-csv " + dir + "/one.csv --label-col y --holdout 0 --out " + dir + "/r3");
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("holds one class"), std::string::npos) << r.err;
}

// --cache: the first run writes the cache and trains from it, the second maps it and trains on
// the same batches (the same losses); a changed source rebuilds it.
TEST(CliTable, CacheIsWrittenReusedAndRebuiltWhenTheSourceChanges) {
  const std::string dir = shoal::testing::makeTempDir("e2e-table-cache");
  const std::string csv = dir + "/loans.csv";
  writeText(csv, shoal::testing::readText(kLoans));
  const std::string args = "train --model tabular --train-csv " + csv +
                           " --label-col Status --epochs 3 --hidden 16 --optim adam --cache " + dir + "/cache --out ";
  auto first = runCli(args + dir + "/r1");
  ASSERT_EQ(first.exitCode, 0) << first.err;
  EXPECT_NE(first.out.find("table cache: wrote " + dir + "/cache/loans.csv.r0of1.shoaltable (no cache yet)"),
            std::string::npos) << first.out;
  auto second = runCli(args + dir + "/r2");
  ASSERT_EQ(second.exitCode, 0) << second.err;
  EXPECT_NE(second.out.find("table cache: mapped"), std::string::npos) << second.out;
  const std::regex losses(R"(epoch \d+  loss [0-9.]+)");
  auto lossLines = [&](const std::string& out) {
    std::string all;
    for (std::sregex_iterator it(out.begin(), out.end(), losses), end; it != end; ++it) all += it->str() + "\n";
    return all;
  };
  EXPECT_EQ(lossLines(second.out), lossLines(first.out));
  EXPECT_FALSE(lossLines(first.out).empty());
  writeText(csv, shoal::testing::readText(kLoans) + "bad,rent,single,fixed,Porto,10,0,900,20,true\n");
  auto third = runCli(args + dir + "/r3");
  ASSERT_EQ(third.exitCode, 0) << third.err;
  EXPECT_NE(third.out.find("(its source or settings changed)"), std::string::npos) << third.out;
  // One byte in the middle changed (138 -> 139), the size and modification time put back: the
  // cache is rebuilt from the new bytes, and a run from the rebuilt cache trains as that one did.
  auto fourth = runCli(args + dir + "/r4");
  EXPECT_NE(fourth.out.find("table cache: mapped"), std::string::npos) << fourth.out;
  std::string text = shoal::testing::readText(csv);
  struct stat before {};
  ASSERT_EQ(::stat(csv.c_str(), &before), 0);
  const size_t at = text.find("Beja,138,");
  ASSERT_NE(at, std::string::npos);
  text[at + 7] = '9';
  writeText(csv, text);
  const timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, csv.c_str(), times, 0), 0);
  struct stat after {};
  ASSERT_EQ(::stat(csv.c_str(), &after), 0);
  ASSERT_EQ(after.st_size, before.st_size);
  ASSERT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
  auto fifth = runCli(args + dir + "/r5");
  ASSERT_EQ(fifth.exitCode, 0) << fifth.err;
  EXPECT_NE(fifth.out.find("(its source or settings changed)"), std::string::npos) << fifth.out;
  auto sixth = runCli(args + dir + "/r6");
  EXPECT_NE(sixth.out.find("table cache: mapped"), std::string::npos) << sixth.out;
  EXPECT_EQ(lossLines(sixth.out), lossLines(fifth.out));
}

// Two ranks whose caches disagree (one rank's deleted) both rebuild theirs: the schema is fitted
// over every rank's rows, so no rank maps its cache while the other reads the CSV.
TEST(CliTable, TwoRanksRebuildTheirCachesTogether) {
  const std::string dir = shoal::testing::makeTempDir("e2e-table-cache-ranks");
  const std::string command = "ASAN_OPTIONS=detect_leaks=0 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun "
                              "--oversubscribe -np 2 " + shoal::testing::cliPath() +
                              " convert --model tabular --train-csv " + kLoans + " --label-col Status --cache " + dir + "/cache";
  auto first = runShell(command, 60);
  ASSERT_EQ(first.exitCode, 0) << first.err;
  auto second = runShell(command, 60);
  ASSERT_EQ(second.exitCode, 0) << second.err;
  EXPECT_NE(second.out.find("rank 1: table cache: mapped"), std::string::npos) << second.out;
  std::remove((dir + "/cache/loans.csv.r1of2.shoaltable").c_str());
  auto third = runShell(command, 60);  // a rank waiting for the other would hang here
  ASSERT_EQ(third.exitCode, 0) << third.err;
  EXPECT_NE(third.out.find("rank 0: table cache: wrote " + dir + "/cache/loans.csv.r0of2.shoaltable (rank 1's cache is missing or stale)"),
            std::string::npos) << third.out;
  EXPECT_NE(third.out.find("rank 1: table cache: wrote"), std::string::npos) << third.out;
}

// shoal convert writes the cache that a training run with the same flags then maps.
TEST(CliTable, ConvertWritesTheCacheTrainMaps) {
  const std::string dir = shoal::testing::makeTempDir("e2e-table-convert");
  const std::string data = " --train-csv " + kLoans + " --label-col Status --cache " + dir + "/cache";
  auto c = runCli("convert --model tabular" + data);
  ASSERT_EQ(c.exitCode, 0) << c.err;
  EXPECT_NE(c.out.find("table cache: wrote"), std::string::npos) << c.out;
  auto t = runCli("train --model tabular --epochs 1 --hidden 8" + data + " --out " + dir + "/run");
  ASSERT_EQ(t.exitCode, 0) << t.err;
  EXPECT_NE(t.out.find("table cache: mapped"), std::string::npos) << t.out;
  auto bad = runCli("convert --model tabular --train-csv " + kLoans + " --label-col Status");
  EXPECT_EQ(bad.exitCode, 2);
  EXPECT_NE(bad.err.find("--cache"), std::string::npos) << bad.err;
}

// Two ranks: each reads its own rows of the file, together every training row that one process
// trains on (the held-out rows are chosen by row index, the same for any number of ranks).
TEST(CliTable, TwoRanksReadTheirOwnRows) {
  const std::string dir = shoal::testing::makeTempDir("e2e-table-ranks");
  const std::string args = "train --model tabular --train-csv " + kLoans + " --label-col Status --epochs 1 --hidden 8 ";
  auto one = runCli(args + "--out " + dir + "/one");
  ASSERT_EQ(one.exitCode, 0) << one.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(one.out, m, std::regex(R"((\d+) training samples, (\d+) test samples)"))) << one.out;
  const int train = std::stoi(m[1]), test = std::stoi(m[2]);
  auto two = runShell("ASAN_OPTIONS=detect_leaks=0 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun "
                      "--oversubscribe -np 2 " + shoal::testing::cliPath() + " " + args + "--out " + dir + "/two",
                      300);
  ASSERT_EQ(two.exitCode, 0) << two.err;
  int sum = 0;
  const std::regex share(R"(rank \d/2: (\d+) training rows of (\d+))");
  for (std::sregex_iterator it(two.out.begin(), two.out.end(), share), end; it != end; ++it) {
    sum += std::stoi((*it)[1]);
    EXPECT_EQ(std::stoi((*it)[2]), train);
  }
  EXPECT_EQ(sum, train) << two.out;
  EXPECT_NE(two.out.find("test accuracy"), std::string::npos) << two.out;
  EXPECT_GT(test, 0);
}
