// End-to-end gradient compression and overlap through `mpirun -np 2 shoal train`: accuracy
// against uncompressed training, the figures in metrics.jsonl, and bad values named by flag.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include <nlohmann/json.hpp>

#include "support/cli_runner.hpp"
#include "support/fashion_mnist_test.hpp"

using shoal::testing::CliResult;
using shoal::testing::runCli;
using shoal::testing::runShell;

namespace {

CliResult mpirun2(const std::string& args, const std::string& env = "") {
  return runShell(env + " ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:abort_on_error=1"
                  " OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun "
                  "--oversubscribe -np 2 " + shoal::testing::cliPath() + " " + args,
                  300);
}

std::string trainArgs(const std::string& out, const std::string& extra) {
  return "train --model mlp --hidden 64 --data fashion-mnist --train-limit 4000 --test-limit 1000 "
         "--seed 3 --quiet --epochs 3 --batch 32 --lr 0.01 --momentum 0.9 --out " + out + " " + extra;
}

// The records of metrics.jsonl of type `type`.
std::vector<nlohmann::json> records(const std::string& runDir, const std::string& type) {
  std::ifstream metrics(runDir + "/metrics.jsonl");
  std::vector<nlohmann::json> found;
  std::string line;
  while (std::getline(metrics, line)) {
    auto j = nlohmann::json::parse(line);
    if (j.at("type") == type) found.push_back(j);
  }
  return found;
}

double testAccuracy(const std::string& runDir) {
  auto tests = records(runDir, "test");
  if (tests.empty()) {
    ADD_FAILURE() << "no test record in " << runDir;
    return 0;
  }
  return tests.back().at("Top1Accuracy").get<double>();
}

using Compression = shoal::testing::FashionMnistTest;

}  // namespace

TEST_F(Compression, CompressedAndOverlappedTrainingStaysWithinTheBandOfUncompressed) {
  auto plain = mpirun2(trainArgs(path("none"), "--compress none"));
  ASSERT_EQ(plain.exitCode, 0) << plain.err;
  const double reference = testAccuracy(path("none"));
  EXPECT_GT(reference, 0.75);
  // {flags, the band docs/distributed-compression.md states for this short run (189 steps):
  // threshold encoding lags early in training (this seed: 1.3 points, seeds 1-5 at most 1.8;
  // 4.1 before quanta and momentum correction)}
  for (const auto& [flags, band] : {std::pair{std::string("--compress bf16 --overlap on --bucket-mb 0.05"), 0.01},
                                    std::pair{std::string("--compress threshold --threshold-density 0.01"), 0.02}}) {
    const std::string dir = path(flags.find("bf16") != std::string::npos ? "bf16" : "threshold");
    auto r = mpirun2(trainArgs(dir, flags));
    ASSERT_EQ(r.exitCode, 0) << flags << "\n" << r.err;
    EXPECT_GT(testAccuracy(dir), reference - band) << flags;
    auto epochs = records(dir, "epoch");
    ASSERT_EQ(epochs.size(), 3u);
    ASSERT_TRUE(epochs.back().contains("density")) << epochs.back();
    ASSERT_TRUE(epochs.back().contains("hidden_share")) << epochs.back();
    const double density = epochs.back().at("density").get<double>();
    const double plainBytes = records(path("none"), "epoch").back().at("bytes_per_step").get<double>();
    const double bytes = epochs.back().at("bytes_per_step").get<double>();
    if (flags.find("bf16") != std::string::npos) {
      EXPECT_EQ(density, 1.0);
      // how much is hidden depends on spare cores (none with 2 ranks on 2 cores): measured in bench/
      const double hidden = epochs.back().at("hidden_share").get<double>();
      EXPECT_GE(hidden, 0.0);
      EXPECT_LE(hidden, 1.0);
      EXPECT_LT(bytes, 0.6 * plainBytes) << "half the gradient bytes";
    } else {
      EXPECT_GT(density, 0.005);
      EXPECT_LT(density, 0.02);
      EXPECT_EQ(epochs.back().at("hidden_share").get<double>(), 0.0) << "no overlap asked for";
      EXPECT_LT(bytes, 0.1 * plainBytes);
    }
  }
}

// Threshold's residuals, velocities and threshold are in the checkpoint, and SGD's state its last
// sparse update: the resumed run is the run that continued (without them its weights differ from
// byte 480 on), also with weight decay, whose part of SGD's buffer is told from the update's by it.
TEST_F(Compression, AThresholdRunResumesBitIdenticallyOnTwoRanks) {
  for (const std::string name : {"plain", "decay"}) {
    const std::string flags = "--compress threshold" + std::string(name == "decay" ? " --weight-decay 0.001" : "");
    auto full = mpirun2(trainArgs(path(name + "-full"), flags));
    ASSERT_EQ(full.exitCode, 0) << full.err;
    auto first = mpirun2(trainArgs(path(name + "-part"), flags + " --iterations 47 --checkpoint " +
                                                             path(name + "-ckpt") + " --checkpoint-every 20"));
    ASSERT_EQ(first.exitCode, 0) << first.err;
    auto second = mpirun2(trainArgs(path(name + "-part"), flags + " --resume " + path(name + "-ckpt")));
    ASSERT_EQ(second.exitCode, 0) << second.err;
    EXPECT_EQ(second.err.find("dropped"), std::string::npos) << second.err;
    EXPECT_TRUE(shoal::testing::readText(path(name + "-part/model.shoal")) ==
                shoal::testing::readText(path(name + "-full/model.shoal")))
        << name << ": the resumed threshold run's weights differ from the uninterrupted run's";
  }
  // another compression cannot use the residuals: it starts without them and says so
  auto other = mpirun2(trainArgs(path("other"), "--compress bf16 --resume " + path("plain-ckpt")));
  ASSERT_EQ(other.exitCode, 0) << other.err;
  EXPECT_NE(other.err.find("shoal: warning: threshold compression's unsent residuals and velocities of 2 ranks in " +
                           path("plain-ckpt")),
            std::string::npos) << other.err;
  EXPECT_NE(other.err.find("are dropped: this run's compression is bf16"), std::string::npos) << other.err;
}

TEST_F(Compression, BadValuesAreRejectedNamingTheFlag) {
  auto r = runCli(trainArgs(path("a"), "--compress foo"));
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("--compress"), std::string::npos) << r.err;
  for (const char* density : {"0", "1.5", "-0.1"}) {
    r = runCli(trainArgs(path("b"), std::string("--compress threshold --threshold-density ") + density));
    EXPECT_EQ(r.exitCode, 2) << density;
    EXPECT_NE(r.err.find("--threshold-density"), std::string::npos) << density << ": " << r.err;
  }
  r = runCli(trainArgs(path("c"), "--overlap maybe"));
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("--overlap"), std::string::npos) << r.err;
  r = runCli(trainArgs(path("d"), "--bucket-mb 0"));
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("--bucket-mb"), std::string::npos) << r.err;
  r = runCli(trainArgs(path("e"), "--dist average --compress bf16"));
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("--compress applies to --dist allreduce"), std::string::npos) << r.err;
  std::ofstream(path("bad.json")) << R"({"dist": {"compress": "zip"}})";
  r = runCli("train --config " + path("bad.json") + " --model mlp --data fashion-mnist --train-limit 100 --quiet --out " + path("f"));
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("compress"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("zip"), std::string::npos) << r.err;
}

TEST_F(Compression, AStalledRankIsNamedByTheCommunicationThread) {
  // with overlap the collectives run on the communication thread: its deadline ends the job too
  for (const std::string compress : {"none", "threshold"}) {
    SCOPED_TRACE("--compress " + compress);
    auto start = std::chrono::steady_clock::now();
    auto r = mpirun2(trainArgs(path("run-" + compress), "--overlap on --comm-timeout 3 --compress " + compress),
                     "SHOAL_INJECT_FAULT=stall@1:7");
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_NE(r.exitCode, 0);
    EXPECT_NE(r.err.find("rank 0: waited 3 s (--comm-timeout) for the other ranks at collective #"),
              std::string::npos) << r.err;
    EXPECT_NE(r.err.find("rank 1 did not arrive (stalled or dead)"), std::string::npos) << r.err;
    EXPECT_LT(seconds, 30);
  }
}
