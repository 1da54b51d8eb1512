// Jobs across simulated hosts (tools/cluster/hosts): hierarchical all-reduce equals the flat one,
// compressed training stays within its documented band of uncompressed, a cut link, a killed rank
// and a stopped rank end the job in bounded time naming what happened,
// and a checkpointed run resumes on a cluster of the same size. Needs root (network namespaces);
// skipped otherwise. SHOAL_TEST_COMMS (default "mpi,gloo") picks the communicators; one that this
// build's `shoal train --help` does not offer is skipped.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "shoal/io/model_file.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "support/cli_runner.hpp"
#include "support/fixtures.hpp"
#include "support/fashion_mnist_test.hpp"

using shoal::testing::CliResult;
using shoal::testing::cliPath;
using shoal::testing::readText;
using shoal::testing::runShell;

namespace {

const std::string kHosts = SHOAL_HOSTS_SCRIPT;

bool commAvailable(const std::string& comm) {
  if (comm == "mpi") return true;
  static const std::string help = runShell(cliPath() + " train --help").out;
  return help.find("--comm") != std::string::npos && help.find("--rendezvous") != std::string::npos &&
         help.find(comm) != std::string::npos;
}

bool commSelected(const std::string& comm) {
  const char* chosen = std::getenv("SHOAL_TEST_COMMS");
  const std::string list = "," + std::string(chosen && *chosen ? chosen : "mpi,gloo") + ",";
  return list.find("," + comm + ",") != std::string::npos;
}

// A bed of its own per test process, brought down after every test (also after a failed one).
class ClusterBed : public shoal::testing::FashionMnistTest {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: simulated hosts are network namespaces";
    auto probe = runShell("ip netns add " + bed_ + "-probe && ip netns delete " + bed_ + "-probe", 30);
    if (probe.exitCode != 0) GTEST_SKIP() << "network namespaces are not available here: " << probe.err;
    FashionMnistTest::SetUp();
  }
  void TearDown() override {
    if (broughtUp_) runShell(hosts("down"), 60);
    FashionMnistTest::TearDown();
  }

  std::string hosts(const std::string& args) const { return kHosts + " --bed " + bed_ + " " + args; }

  void up(int count, const std::string& options = "") {
    broughtUp_ = true;
    auto r = runShell(hosts("up " + std::to_string(count) + " " + options), 60);
    ASSERT_EQ(r.exitCode, 0) << r.err;
  }

  // A shell command that runs `shoal ARGS` on `perHost` ranks of each of the first `count` hosts
  // with communicator `comm`: through mpirun, or every rank started on its host with a rendezvous
  // at host 0 and watched the way torchrun's agent does: when a rank fails, the others are ended
  // (a stopped or stalled rank would otherwise stay forever) and the command fails.
  std::string job(const std::string& comm, int count, int perHost, const std::string& args) const {
    if (comm == "mpi")
      return hosts("mpirun --per-host " + std::to_string(perHost) + " --hosts " + std::to_string(count) + " " +
                   cliPath() + " " + args);
    const int size = count * perHost;
    std::string script = "export SHOAL_JOB_SECRET=cluster-test-secret; pids=''; ";
    for (int r = 0; r < size; ++r)
      script += hosts("run " + std::to_string(r / perHost) + " " + cliPath() + " " + args + " --comm " + comm +
                      " --rendezvous 198.18.0.1:29400 --world-size " + std::to_string(size) + " --rank " +
                      std::to_string(r)) + " & pids=\"$pids $!\"; ";
    return script +
           "rc=0; left=\"$pids\"; while [ -n \"$left\" ]; do still=''; for p in $left; do "
           "if kill -0 $p 2>/dev/null; then still=\"$still $p\"; else wait $p || rc=$?; fi; done; left=$still; "
           // a rank failed: the others get 5 s (beyond the tests' 3 s --comm-timeout) to notice and say
           // why before they are killed, or a killed rank's peer would be killed before it could speak
           "if [ $rc -ne 0 ]; then for i in $(seq 50); do alive=''; for p in $left; do "
           "kill -0 $p 2>/dev/null && alive=1; done; [ -z \"$alive\" ] && break; sleep 0.1; done; "
           "for p in $left; do kill -KILL $p 2>/dev/null; wait $p; done; break; fi; "
           "sleep 0.1; done; exit $rc";
  }

  const std::string bed_ = "t" + std::to_string(getpid() % 1000000);
  bool broughtUp_ = false;
};

// A small MLP on a slice of Fashion-MNIST, one thread per rank.
std::string trainArgs(const std::string& out, const std::string& extra) {
  return "train --model mlp --hidden 64 --data fashion-mnist --train-limit 4000 --test-limit 1000 "
         "--seed 3 --threads 1 --out " + out + " " + extra;
}

class AcrossHosts : public ClusterBed {};

TEST_F(AcrossHosts, HierarchicalSumsEqualFlatOnes) {
  for (int count : {2, 4}) {
    SCOPED_TRACE(std::to_string(count) + " hosts x 2 ranks");
    up(count);
    auto r = runShell(hosts("mpirun --per-host 2 " + std::string(SHOAL_SUM_RANKS)), 300);
    EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
    for (int rank = 0; rank < 2 * count; ++rank)
      EXPECT_NE(r.out.find("rank " + std::to_string(rank) + "/" + std::to_string(2 * count) +
                           ": hierarchical sums equal flat ones"),
                std::string::npos) << r.out << r.err;
  }
}

TEST_F(AcrossHosts, LinksTakeTheirRateAndMtuAndABadValueLeavesTheBedAsItWas) {
  up(2, "--rate 1gbit --mtu 9000");
  for (const char* host : {"h0", "h1"}) {
    auto link = runShell("ip -n " + bed_ + "-" + host + " link show eth0", 30);
    EXPECT_NE(link.out.find(" mtu 9000 "), std::string::npos) << link.out << link.err;
    auto qdisc = runShell("ip netns exec " + bed_ + "-" + host + " tc qdisc show dev eth0", 30);
    EXPECT_NE(qdisc.out.find("tbf"), std::string::npos) << qdisc.out << qdisc.err;
    EXPECT_NE(qdisc.out.find("rate 1Gbit"), std::string::npos) << qdisc.out << qdisc.err;
  }
  auto job = runShell(hosts("mpirun " + std::string(SHOAL_SUM_RANKS)), 300);  // 9000-byte frames carry a job
  EXPECT_EQ(job.exitCode, 0) << job.out << job.err;
  for (const char* bad : {"--mtu 99999", "--mtu 9k", "--mtu"}) {
    std::string command = "up 2 ";
    command += bad;
    auto r = runShell(hosts(command), 60);
    EXPECT_EQ(r.exitCode, 2) << bad;
    EXPECT_NE(r.err.find("--mtu"), std::string::npos) << bad << ": " << r.err;
  }
  auto list = runShell(hosts("list"), 30);
  EXPECT_NE(list.out.find(bed_ + "-h1"), std::string::npos) << "the bed was taken down: " << list.out;
}

TEST_F(AcrossHosts, HierarchicalTrainingGivesTheFlatWeights) {
  up(2);
  const std::string flags = "--dist allreduce --epochs 2 --batch 32 --lr 0.05 --momentum 0.9";
  auto on = runShell(job("mpi", 2, 2, trainArgs(path("on"), flags + " --hierarchical on")), 300);
  ASSERT_EQ(on.exitCode, 0) << on.err;
  EXPECT_NE(on.out.find("gradients: hierarchical: shared memory within each of 2 hosts"), std::string::npos) << on.out;
  auto off = runShell(job("mpi", 2, 2, trainArgs(path("off"), flags + " --hierarchical off")), 300);
  ASSERT_EQ(off.exitCode, 0) << off.err;
  EXPECT_NE(off.out.find("gradients: Open MPI messages"), std::string::npos) << off.out;
  EXPECT_TRUE(readText(path("on/model.shoal")) == readText(path("off/model.shoal")))
      << "hierarchical and flat all-reduce trained different weights";
}

// The last test record's Top1Accuracy in a run directory's metrics.jsonl (-1 when there is none).
double testAccuracy(const std::string& runDir) {
  std::ifstream metrics(runDir + "/metrics.jsonl");
  double accuracy = -1;
  for (std::string line; std::getline(metrics, line);) {
    auto record = nlohmann::json::parse(line);
    if (record.at("type") == "test") accuracy = record.at("Top1Accuracy").get<double>();
  }
  return accuracy;
}

// The bands docs/distributed-compression.md states for this short run (189 steps of a global
// batch of 64: 2 hosts x 32 or 4 hosts x 16 samples): bf16 1 point; threshold 2 points on 2
// hosts (1.3 at this seed on one machine), 3 on 4 hosts (seeds 1-5: -2.9 to +0.8; this seed -2.3).
TEST_F(AcrossHosts, CompressedTrainingStaysWithinTheBandOfUncompressed) {
  for (const auto& [count, batch, thresholdBand] : {std::tuple{2, 32, 0.02}, std::tuple{4, 16, 0.03}}) {
    const std::string tag = std::to_string(count) + "hosts-";
    SCOPED_TRACE(std::to_string(count) + " hosts x 1 rank");
    up(count);
    const std::string flags =
        "--dist allreduce --epochs 3 --batch " + std::to_string(batch) + " --lr 0.01 --momentum 0.9";
    auto plain = runShell(job("mpi", count, 1, trainArgs(path(tag + "none"), flags)), 300);
    ASSERT_EQ(plain.exitCode, 0) << plain.err;
    const double reference = testAccuracy(path(tag + "none"));
    EXPECT_GT(reference, 0.75);
    for (const auto& [name, extra, band] :
         {std::tuple{"bf16", " --compress bf16 --overlap on", 0.01},
          std::tuple{"threshold", " --compress threshold --overlap on", thresholdBand}}) {
      auto r = runShell(job("mpi", count, 1, trainArgs(path(tag + name), flags + extra)), 300);
      ASSERT_EQ(r.exitCode, 0) << name << "\n" << r.err;
      EXPECT_GT(testAccuracy(path(tag + name)), reference - band) << name << " against " << reference;
    }
  }
}

// Gloo's hierarchical route (POSIX shared memory per host, a Gloo mesh of the hosts' leaders)
// adds in the same order as Open MPI's (rank order on a host, then two leaders' sums): the same bits.
TEST_F(AcrossHosts, GlooHierarchicalTrainingGivesOpenMpisHierarchicalWeights) {
  if (!commSelected("gloo")) GTEST_SKIP() << "SHOAL_TEST_COMMS leaves out gloo";
  up(2);
  const std::string flags = "--dist allreduce --epochs 2 --batch 32 --lr 0.05 --momentum 0.9 --hierarchical on";
  auto gloo = runShell(job("gloo", 2, 2, trainArgs(path("gloo"), flags)), 300);
  ASSERT_EQ(gloo.exitCode, 0) << gloo.err;
  EXPECT_NE(gloo.out.find("gradients: hierarchical: shared memory within each of 2 hosts, Gloo between one leader "
                          "per host"), std::string::npos) << gloo.out;
  auto mpi = runShell(job("mpi", 2, 2, trainArgs(path("mpi"), flags)), 300);
  ASSERT_EQ(mpi.exitCode, 0) << mpi.err;
  auto weights = [&](const std::string& run) {
    return shoal::io::loadModel(path(run + "/model.shoal")).model->flatParameters().values();
  };
  shoal::testing::expectNear(weights("gloo"), weights("mpi"), 0, 0,
                             "Gloo's hierarchical all-reduce against Open MPI's (bit for bit)");
  auto flat = runShell(job("gloo", 2, 2, trainArgs(path("flat"), "--dist allreduce --epochs 2 --batch 32 --lr 0.05 "
                                                                  "--momentum 0.9 --hierarchical off")), 300);
  ASSERT_EQ(flat.exitCode, 0) << flat.err;
  EXPECT_NE(flat.out.find("gradients: Gloo messages"), std::string::npos) << flat.out;
}

// In Gloo's hierarchical route a stopped rank that is not its host's leader is named by the ranks
// that wait for it in shared memory (its host's) or at the next collective over all ranks.
TEST_F(AcrossHosts, GlooHierarchicalJobNamesAStoppedRankWithinTheTimeout) {
  if (!commSelected("gloo")) GTEST_SKIP() << "SHOAL_TEST_COMMS leaves out gloo";
  up(2);
  const std::string log = path("job");
  const std::string stopRank3 =
      "for p in $(ip netns pids " + bed_ + "-h1); do [ \"$(cat /proc/$p/comm)\" = shoal ] && "
      "tr '\\0' ' ' </proc/$p/cmdline | grep -q -- '--rank 3 $' && kill -STOP $p; done";
  const std::string command =
      "(" + job("gloo", 2, 2, trainArgs(path("run"), "--epochs 500 --batch 32 --comm-timeout 3 --hierarchical on")) +
      ") >" + log + ".out 2>" + log + ".err & job=$!; "
      "for i in $(seq 600); do grep -q '^epoch 2 ' " + log + ".out && break; sleep 0.1; done; "
      "start=$(date +%s%N); " + stopRank3 + "; wait $job; rc=$?; "
      "echo \"elapsed_ms=$((($(date +%s%N) - start) / 1000000))\"; cat " + log + ".out; cat " + log + ".err >&2; exit $rc";
  auto r = runShell(command, 180);
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.out.find("gradients: hierarchical: shared memory within each of 2 hosts, Gloo"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("rank 3 did not arrive (stalled or dead)"), std::string::npos) << r.err;
  const auto at = r.out.find("elapsed_ms=");
  ASSERT_NE(at, std::string::npos) << r.out;
  const double seconds = std::stod(r.out.substr(at + 11)) / 1000;
  EXPECT_GT(seconds, 2.5) << "ended before the 3 s deadline: " << r.err;
  EXPECT_LT(seconds, 20) << r.err;
}

// Faults and resumption, for every communicator.
class Faults : public ClusterBed, public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    if (!commSelected(GetParam())) GTEST_SKIP() << "SHOAL_TEST_COMMS leaves out " << GetParam();
    if (!commAvailable(GetParam())) GTEST_SKIP() << "this build's shoal has no --comm " << GetParam();
    ClusterBed::SetUp();
  }

  struct Outcome {
    CliResult result;
    double secondsAfterFault = 0;
  };

  // A long 2-host job (1 rank each, --comm-timeout 3) into which `fault` (a shell command) is
  // injected once training runs; how it ended and how long after the fault.
  Outcome runWithFault(const std::string& fault) {
    up(2);
    const std::string log = path("job");
    const std::string command =
        "(" + job(GetParam(), 2, 1, trainArgs(path("run"), "--epochs 500 --batch 32 --comm-timeout 3")) +
        ") >" + log + ".out 2>" + log + ".err & job=$!; "
        "for i in $(seq 600); do grep -q '^epoch 2 ' " + log + ".out && break; sleep 0.1; done; "
        "start=$(date +%s%N); " + fault + "; wait $job; rc=$?; "
        "echo \"elapsed_ms=$((($(date +%s%N) - start) / 1000000))\"; cat " + log + ".out; cat " + log + ".err >&2; exit $rc";
    Outcome outcome;
    outcome.result = runShell(command, 180);
    auto at = outcome.result.out.find("elapsed_ms=");
    if (at != std::string::npos) outcome.secondsAfterFault = std::stod(outcome.result.out.substr(at + 11)) / 1000;
    runShell(hosts("restore 1"), 30);
    return outcome;
  }

  // `signal` to the shoal process on host 1.
  std::string signalHostOne(const std::string& signal) const {
    return "for p in $(ip netns pids " + bed_ + "-h1); do [ \"$(cat /proc/$p/comm)\" = shoal ] && kill -" +
           signal + " $p; done";
  }

  // Whether stderr names rank 1 as the culprit: in Open MPI's or shoal's words for MPI (`mpiWords`),
  // for another communicator any "rank 1" its messages give.
  bool namesRankOne(const CliResult& r, const std::vector<std::string>& mpiWords) const {
    if (GetParam() != "mpi") return r.err.find("rank 1") != std::string::npos;
    for (const auto& words : mpiWords)
      if (r.err.find(words) != std::string::npos) return true;
    return false;
  }

  // The job ends at most this long after a fault: the 3 s deadline, then mpirun giving up on a
  // host it cannot reach (the bed's TCP retries end after ~6 s) or ending the other ranks.
  static constexpr double kBound = 20;
};

TEST_P(Faults, ACutLinkEndsTheJobNamingWhatHappened) {
  auto o = runWithFault(hosts("cut 1"));
  EXPECT_NE(o.result.exitCode, 0);
  EXPECT_NE(o.result.err.find("rank 0: "), std::string::npos) << o.result.err;
  EXPECT_TRUE(namesRankOne(o.result, {"rank 1 did not arrive", "the link to rank 1 failed"})) << o.result.err;
  EXPECT_LT(o.secondsAfterFault, kBound) << o.result.err;
}

TEST_P(Faults, AKilledRankEndsTheJobNamingIt) {
  auto o = runWithFault(signalHostOne("KILL"));
  EXPECT_NE(o.result.exitCode, 0);
  EXPECT_TRUE(namesRankOne(o.result, {"rank 1 with PID", "rank 1 did not arrive"})) << o.result.err;
  EXPECT_LT(o.secondsAfterFault, kBound) << o.result.err;
}

TEST_P(Faults, AStoppedRankIsNamedAfterTheCommTimeout) {
  auto o = runWithFault(signalHostOne("STOP"));
  runShell(signalHostOne("CONT"), 10);
  EXPECT_NE(o.result.exitCode, 0);
  EXPECT_TRUE(namesRankOne(o.result, {"rank 1 did not arrive (stalled or dead)", "rank 1 stopped during the transfer"}))
      << o.result.err;
  EXPECT_NE(o.result.err.find("rank 0: "), std::string::npos) << o.result.err;
  EXPECT_GT(o.secondsAfterFault, 2.5) << "ended before the 3 s deadline: " << o.result.err;
  EXPECT_LT(o.secondsAfterFault, kBound) << o.result.err;
}

// Uncompressed, and with threshold compression, whose per-rank residuals the checkpoint keeps.
TEST_P(Faults, ACheckpointedRunResumesOnAClusterOfTheSameSize) {
  up(2);
  for (const std::string compress : {"none", "threshold"}) {
    SCOPED_TRACE("--compress " + compress);
    const std::string flags =
        "--dist allreduce --batch 50 --lr 0.05 --momentum 0.9 --epochs 3 --quiet --compress " + compress;
    const std::string full = path(compress + "-full"), part = path(compress + "-part"), ckpt = path(compress + "-ckpt");
    auto whole = runShell(job(GetParam(), 2, 1, trainArgs(full, flags)), 300);
    ASSERT_EQ(whole.exitCode, 0) << whole.err;
    auto first = runShell(
        job(GetParam(), 2, 1, trainArgs(part, flags + " --iterations 47 --checkpoint " + ckpt + " --checkpoint-every 20")),
        300);
    ASSERT_EQ(first.exitCode, 0) << first.err;
    auto second = runShell(job(GetParam(), 2, 1, trainArgs(part, flags + " --resume " + ckpt)), 300);
    ASSERT_EQ(second.exitCode, 0) << second.err;
    EXPECT_TRUE(readText(part + "/model.shoal") == readText(full + "/model.shoal"))
        << "the resumed run's weights differ from the uninterrupted run's";
  }
}

INSTANTIATE_TEST_SUITE_P(Comm, Faults, ::testing::Values("mpi", "gloo"),
                         [](const auto& param) { return param.param; });

}  // namespace
