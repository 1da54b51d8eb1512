// End-to-end reliability: checkpoints, exact resume, signals, divergence and failing writes.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "shoal/report/run_metrics.hpp"
#include "support/cli_runner.hpp"
#include "support/fashion_mnist_test.hpp"

using shoal::testing::readText;
using shoal::testing::runCli;

namespace {

namespace fs = std::filesystem;

// A small, fast MLP run on a slice of Fashion-MNIST; `extra` adds flags.
std::string trainArgs(const std::string& out, const std::string& extra, const std::string& lr = "0.05") {
  return "train --model mlp --hidden 32 --data fashion-mnist --train-limit 1000 --test-limit 200 "
         "--batch 50 --optim sgd --lr " + lr + " --momentum 0.9 --seed 4 --quiet --out " + out + " " + extra;
}

std::vector<fs::path> checkpointsIn(const std::string& dir) {
  std::vector<fs::path> files;
  if (!fs::exists(dir)) return files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".shoalckpt") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

class Reliability : public shoal::testing::FashionMnistTest {
 protected:
  // The final weights of an uninterrupted 3-epoch run (20 iterations per epoch).
  std::string uninterruptedModel() {
    auto r = runCli(trainArgs(path("full"), "--epochs 3"));
    EXPECT_EQ(r.exitCode, 0) << r.err;
    return readText(path("full/model.shoal"));
  }
};

}  // namespace

TEST_F(Reliability, ResumeAfterAnEndTriggerIsBitIdentical) {
  std::string expected = uninterruptedModel();
  // Stop mid-epoch 2 with an end trigger, then continue to 3 epochs.
  auto first = runCli(trainArgs(path("a"), "--epochs 3 --iterations 27 --checkpoint " + path("ckpt") +
                                               " --checkpoint-every 10 --keep 2"));
  ASSERT_EQ(first.exitCode, 0) << first.err;
  auto files = checkpointsIn(path("ckpt"));
  ASSERT_EQ(files.size(), 2u);  // iterations 20 and 27; 10 was pruned by --keep 2
  EXPECT_EQ(files.back().filename().string(), "checkpoint-0000000027.shoalckpt");
  auto second = runCli(trainArgs(path("a"), "--epochs 3 --resume " + path("ckpt")));
  ASSERT_EQ(second.exitCode, 0) << second.err;
  EXPECT_TRUE(readText(path("a/model.shoal")) == expected)
      << "resumed weights differ from the uninterrupted run";
}

TEST_F(Reliability, SigtermStopsWithACheckpointAndResumesBitIdentical) {
  // A run of several seconds: 30 epochs of 5000 samples through a 256-unit MLP.
  auto args = [&](const std::string& out, const std::string& extra) {
    return "train --model mlp --hidden 256 --data fashion-mnist --train-limit 5000 --test-limit 200 "
           "--batch 50 --epochs 30 --optim sgd --lr 0.05 --momentum 0.9 --seed 4 --quiet --out " +
           out + " " + extra;
  };
  auto full = runCli(args(path("full"), ""));
  ASSERT_EQ(full.exitCode, 0) << full.err;
  std::string expected = readText(path("full/model.shoal"));
  // SIGTERM as soon as the second of 30 epochs is logged: well inside the run however fast it goes.
  const std::string log = path("b/train.log");
  auto r = shoal::testing::runShell(
      shoal::testing::cliPath() + " " + args(path("b"), "--checkpoint " + path("ckpt")) +
      " & pid=$!; while kill -0 $pid 2>/dev/null && ! grep -q '^epoch 2 ' '" + log +
      "' 2>/dev/null; do sleep 0.02; done; kill -TERM $pid; wait $pid");
  ASSERT_EQ(r.exitCode, 143) << r.out << r.err;
  EXPECT_NE(readText(path("b/train.log")).find("stopped by SIGTERM"), std::string::npos);
  EXPECT_NE(readText(path("b/train.log")).find("checkpoint: " + path("ckpt")), std::string::npos);
  ASSERT_FALSE(checkpointsIn(path("ckpt")).empty());
  auto resumed = runCli(args(path("b"), "--resume " + path("ckpt")));
  ASSERT_EQ(resumed.exitCode, 0) << resumed.err;
  EXPECT_TRUE(readText(path("b/model.shoal")) == expected)
      << "weights after SIGTERM and resume differ from the uninterrupted run";
}

TEST_F(Reliability, CorruptNewestCheckpointFallsBackWithAWarning) {
  std::string expected = uninterruptedModel();
  auto first = runCli(trainArgs(path("c"), "--epochs 3 --iterations 30 --checkpoint " + path("ckpt") +
                                               " --checkpoint-every 10 --keep 3"));
  ASSERT_EQ(first.exitCode, 0) << first.err;
  auto files = checkpointsIn(path("ckpt"));
  ASSERT_EQ(files.size(), 3u);
  std::string newest = readText(files.back().string());
  shoal::testing::writeText(files.back().string(), newest.substr(0, newest.size() / 2));
  auto resumed = runCli(trainArgs(path("c"), "--epochs 3 --resume " + path("ckpt")));
  ASSERT_EQ(resumed.exitCode, 0) << resumed.err;
  EXPECT_NE(resumed.err.find(files.back().string()), std::string::npos) << resumed.err;
  EXPECT_NE(resumed.err.find("warning"), std::string::npos) << resumed.err;
  EXPECT_TRUE(readText(path("c/model.shoal")) == expected);
  // The first run logged iterations 21-30 past the checkpoint the resume took (20); the resumed
  // run logged them again. Read back, every iteration and epoch appears once.
  auto metrics = shoal::report::readRunMetrics(path("c"), [](const std::string&) {});
  ASSERT_EQ(metrics.iterations.size(), 60u);
  for (size_t i = 0; i < metrics.iterations.size(); ++i)
    ASSERT_EQ(metrics.iterations[i].iteration, static_cast<int64_t>(i + 1));
  ASSERT_EQ(metrics.epochs.size(), 3u);
  for (size_t i = 0; i < metrics.epochs.size(); ++i)
    EXPECT_EQ(metrics.epochs[i]["epoch"].get<int64_t>(), static_cast<int64_t>(i + 1));
  EXPECT_NE(readText(path("c/metrics.jsonl")).find("\"type\":\"resume\""), std::string::npos);
}

TEST_F(Reliability, DivergenceStopsNamingTheLastGoodCheckpoint) {
  auto r = runCli(trainArgs(path("d"), "--epochs 3 --checkpoint " + path("ckpt") + " --checkpoint-every 1",
                            "1e12"));
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("training diverged"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("epoch 1"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(path("d/model.shoal"))) << "diverged weights must not be saved";
  auto files = checkpointsIn(path("ckpt"));
  if (!files.empty()) {
    EXPECT_NE(r.err.find(files.back().string()), std::string::npos) << r.err;
    // The last good checkpoint resumes (and diverges again with this learning rate, cleanly).
    auto again = runCli(trainArgs(path("d"), "--epochs 3 --resume " + path("ckpt"), "1e12"));
    EXPECT_EQ(again.exitCode, 1) << again.err;
    EXPECT_NE(again.err.find("training diverged"), std::string::npos) << again.err;
  } else {
    EXPECT_NE(r.err.find("no checkpoint was written"), std::string::npos) << r.err;
  }
}

TEST_F(Reliability, UnwritableCheckpointDirectoryFailsBeforeTraining) {
  auto r = runCli(trainArgs(path("e"), "--epochs 1 --checkpoint /etc/hostname/ckpt"));
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.err.find("/etc/hostname/ckpt"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(readText(path("e/train.log")).find("epoch 1"), std::string::npos);
}

TEST_F(Reliability, AWriteThatFailsMidRunIsReportedAndKeepsTheCheckpoint) {
  // A 64 KiB file-size limit: a checkpoint of this tiny model (about 26 KiB) fits, while
  // metrics.jsonl outgrows the limit after about 870 iterations.
  std::string cmd = "train --model mlp --hidden 4 --data fashion-mnist --train-limit 2000 "
                    "--batch 10 --epochs 20 --quiet --out " + path("f") + " --checkpoint " +
                    path("ckpt") + " --checkpoint-every 50";
  auto r = shoal::testing::runShell("bash -c 'ulimit -f 64; exec " + shoal::testing::cliPath() + " " + cmd + "'");
  EXPECT_EQ(r.exitCode, 1) << r.err;
  EXPECT_NE(r.err.find("metrics.jsonl"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("write failed"), std::string::npos) << r.err;
  auto files = checkpointsIn(path("ckpt"));
  ASSERT_FALSE(files.empty());
  auto resumed = runCli("train --model mlp --hidden 4 --data fashion-mnist --train-limit 2000 "
                        "--batch 10 --epochs 1 --iterations 1 --quiet --out " + path("g") +
                        " --resume " + path("ckpt"));
  EXPECT_EQ(resumed.exitCode, 0) << resumed.err;
}
