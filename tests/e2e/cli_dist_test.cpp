// End-to-end distributed training through `mpirun -np 2 shoal train`: every strategy learns,
// resume is exact on 2 ranks, a failing or stalled rank ends the job naming it, bad flags fail.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include <nlohmann/json.hpp>

#include "support/cli_runner.hpp"
#include "support/fashion_mnist_test.hpp"

using shoal::testing::CliResult;
using shoal::testing::readText;
using shoal::testing::runCli;
using shoal::testing::runShell;

namespace {

// `shoal <args>` on two ranks; Open MPI is told it may run as root and oversubscribe the cores.
// Under AddressSanitizer, leak checking is off in the ranks: Open MPI keeps what MPI_Init
// allocates until exit (single-process runs of the same code are leak-checked).
CliResult mpirun2(const std::string& args, const std::string& env = "", int timeoutSeconds = 300) {
  return runShell(env + " ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:abort_on_error=1"
                        " OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun "
                        "--oversubscribe -np 2 " + shoal::testing::cliPath() + " " + args,
                  timeoutSeconds);
}

// A small MLP on a slice of Fashion-MNIST.
std::string trainArgs(const std::string& out, const std::string& extra) {
  return "train --model mlp --hidden 64 --data fashion-mnist --train-limit 4000 --test-limit 1000 "
         "--seed 3 --quiet --out " + out + " " + extra;
}

double testAccuracy(const std::string& runDir) {
  std::ifstream metrics(runDir + "/metrics.jsonl");
  std::string line;
  while (std::getline(metrics, line)) {
    auto j = nlohmann::json::parse(line);
    if (j.at("type") == "test") return j.at("Top1Accuracy").get<double>();
  }
  ADD_FAILURE() << "no test record in " << runDir << "/metrics.jsonl";
  return 0;
}

// Every test gets a scratch directory (dir_, path()) and is skipped without Fashion-MNIST.
using Distributed = shoal::testing::FashionMnistTest;

}  // namespace

TEST_F(Distributed, AllReduceLearnsAndOnlyRankZeroWrites) {
  auto r = mpirun2(trainArgs(path("run"), "--dist allreduce --epochs 3 --batch 32 --lr 0.05 --momentum 0.9"));
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("rank 0/2: training shard samples 0-1999: 2000 of 4000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rank 1/2: training shard samples 2000-3999: 2000 of 4000"), std::string::npos) << r.out;
  EXPECT_GT(testAccuracy(path("run")), 0.78);
  std::string metrics = readText(path("run/metrics.jsonl"));
  EXPECT_NE(metrics.find("\"comm_share\""), std::string::npos);
  // The recorded command line can be run again: flags appear without values.
  EXPECT_NE(metrics.find("--quiet --dist allreduce"), std::string::npos) << metrics.substr(0, 400);
  EXPECT_NE(metrics.find("\"bytes_per_step\""), std::string::npos);
  // One writer: three epoch records for three epochs.
  size_t epochs = 0;
  for (size_t at = 0; (at = metrics.find("\"type\":\"epoch\"", at)) != std::string::npos; ++at) ++epochs;
  EXPECT_EQ(epochs, 3u);
}

TEST_F(Distributed, ParameterAveragingLearns) {
  auto r = mpirun2(trainArgs(path("run"), "--dist average --average-every 4 --shard strided --epochs 3 "
                                          "--batch 32 --lr 0.05 --momentum 0.9"));
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("rank 1/2: training shard samples 1, 3, 5, ...: 2000 of 4000"), std::string::npos) << r.out;
  EXPECT_GT(testAccuracy(path("run")), 0.78);
}

TEST_F(Distributed, FullBatchLbfgsLearnsAndMatchesOneProcess) {
  const std::string flags = "--dist lbfgs --optim lbfgs --lbfgs-iterations 1 --line-search --epochs 25 --batch 500";
  auto two = mpirun2(trainArgs(path("two"), flags));
  ASSERT_EQ(two.exitCode, 0) << two.err;
  auto one = runCli(trainArgs(path("one"), flags));
  ASSERT_EQ(one.exitCode, 0) << one.err;
  EXPECT_GT(testAccuracy(path("two")), 0.70);
  EXPECT_NEAR(testAccuracy(path("two")), testAccuracy(path("one")), 0.01);
}

TEST_F(Distributed, ResumeOnTwoRanksIsBitIdentical) {
  const std::string flags = "--dist allreduce --batch 50 --lr 0.05 --momentum 0.9 --epochs 3";
  ASSERT_EQ(mpirun2(trainArgs(path("full"), flags)).exitCode, 0);
  auto first = mpirun2(trainArgs(path("part"), flags + " --iterations 47 --checkpoint " + path("ckpt") +
                                                   " --checkpoint-every 20"));
  ASSERT_EQ(first.exitCode, 0) << first.err;
  auto second = mpirun2(trainArgs(path("part"), flags + " --resume " + path("ckpt")));
  ASSERT_EQ(second.exitCode, 0) << second.err;
  EXPECT_TRUE(readText(path("part/model.shoal")) == readText(path("full/model.shoal")))
      << "resumed 2-rank weights differ from the uninterrupted 2-rank run";
}

TEST_F(Distributed, ARankThatThrowsEndsTheJobNamingIt) {
  auto start = std::chrono::steady_clock::now();
  auto r = mpirun2(trainArgs(path("run"), "--epochs 5 --batch 32"), "SHOAL_INJECT_FAULT=throw@1:7", 60);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.err.find("rank 1: injected fault (SHOAL_INJECT_FAULT) after iteration 7"), std::string::npos) << r.err;
  EXPECT_LT(seconds, 30);
}

TEST_F(Distributed, AKilledRankEndsTheJobNamingIt) {
  auto start = std::chrono::steady_clock::now();
  auto r = mpirun2(trainArgs(path("run"), "--epochs 5 --batch 32"), "SHOAL_INJECT_FAULT=kill@1:7", 60);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE((r.out + r.err).find("rank 1"), std::string::npos) << r.out << r.err;
  EXPECT_LT(seconds, 30);
}

TEST_F(Distributed, AStalledRankIsNamedAfterTheCommTimeout) {
  // The deadline holds for collectives through shared memory and through messages alike.
  for (const std::string sharedMemory : {"on", "off"}) {
    SCOPED_TRACE("--shared-memory " + sharedMemory);
    auto start = std::chrono::steady_clock::now();
    auto r = mpirun2(trainArgs(path("run-" + sharedMemory), "--epochs 5 --batch 32 --comm-timeout 3 "
                                                            "--shared-memory " + sharedMemory),
                     "SHOAL_INJECT_FAULT=stall@1:7", 60);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_NE(r.exitCode, 0);
    EXPECT_NE(r.err.find("rank 0: waited 3 s (--comm-timeout) for the other ranks at collective #"),
              std::string::npos) << r.err;
    EXPECT_NE(r.err.find("rank 1 did not arrive (stalled or dead)"), std::string::npos) << r.err;
    EXPECT_LT(seconds, 30);
  }
}

TEST_F(Distributed, InvalidCombinationsAreUsageErrors) {
  auto r = runCli(trainArgs(path("a"), "--dist lbfgs --optim sgd"));
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("--dist lbfgs runs full-batch L-BFGS: give --optim lbfgs"), std::string::npos) << r.err;
  r = runCli(trainArgs(path("b"), "--dist average --optim lbfgs"));
  EXPECT_EQ(r.exitCode, 2);
  r = runCli(trainArgs(path("c"), "--dist allreduce --average-every 3"));
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("--average-every applies to --dist average"), std::string::npos) << r.err;
  r = runCli(trainArgs(path("d"), "--dist average --min-loss 0.1"));
  EXPECT_EQ(r.exitCode, 2);
  r = runCli(trainArgs(path("g"), "--shared-memory maybe"));
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("--shared-memory"), std::string::npos) << r.err;
  r = runCli(trainArgs(path("h"), "--hierarchical sometimes"));
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("--hierarchical"), std::string::npos) << r.err;
  r = runCli(trainArgs(path("e"), "--epochs 1"), 60);
  EXPECT_EQ(r.exitCode, 0) << r.err;
  r = runShell("SHOAL_INJECT_FAULT=explode@1:2 " + shoal::testing::cliPath() + " " + trainArgs(path("f"), "--epochs 1"));
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("SHOAL_INJECT_FAULT: the kind must be throw, stall or kill"), std::string::npos) << r.err;
}
