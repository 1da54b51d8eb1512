// End-to-end Gloo jobs through the real CLI, started without mpirun (one process per rank, on
// loopback): every strategy gives Open MPI's weights and (allreduce, lbfgs) one process's with the
// global batch; flags, SHOAL_* variables and torchrun's variables start the same job; strangers
// at the rendezvous are refused on both sides while the job starts; a killed or stopped rank
// ends the job within the timeout, named.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "shoal/io/model_file.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/nn/module.hpp"
#include "support/cli_runner.hpp"
#include "support/fashion_mnist_test.hpp"
#include "support/fixtures.hpp"

using shoal::testing::CliResult;
using shoal::testing::readText;
using shoal::testing::runShell;
using shoal::testing::writeText;

namespace {

constexpr const char* kSecret = "SHOAL_JOB_SECRET=e2e-secret";

// A port nothing listens on now (the kernel's choice for an ephemeral bind on loopback).
int freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), len);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

class Gloo : public shoal::testing::FashionMnistTest {
 protected:
  // A small MLP on a slice of Fashion-MNIST, strided shards, no shuffling: 2 ranks x batch B
  // see exactly one process's batches of 2B.
  std::string train(const std::string& out, const std::string& extra) {
    writeText(path("noshuffle.json"), R"({"shuffle": false})");
    return shoal::testing::cliPath() + " train --config " + path("noshuffle.json") +
           " --model mlp --hidden 16 --data fashion-mnist --train-limit 480 --test-limit 100 --seed 3 --quiet "
           "--threads 1 --shard strided --out " + out + " " + extra;
  }

  // Runs every command at once (a shell each, in the background) and waits for all; their results.
  std::vector<CliResult> together(const std::vector<std::string>& commands, const std::string& script_tail = "",
                                  int timeoutSeconds = 120) {
    std::string script;
    for (size_t i = 0; i < commands.size(); ++i) {
      const std::string n = path("p" + std::to_string(i));
      script += "( (" + commands[i] + ") > " + n + ".out 2> " + n + ".err & echo $! > " + n + ".pid; wait $!; echo $? > " +
                n + ".rc) & ";
    }
    script += script_tail + " wait";
    runShell(script, timeoutSeconds);
    std::vector<CliResult> results;
    for (size_t i = 0; i < commands.size(); ++i) {
      const std::string n = path("p" + std::to_string(i));
      CliResult r;
      r.out = readText(n + ".out");
      r.err = readText(n + ".err");
      r.exitCode = std::stoi("0" + readText(n + ".rc"));
      results.push_back(r);
    }
    return results;
  }

  // `ranks` Gloo ranks of `flags`, rank 0 writing into `out`.
  std::vector<CliResult> glooJob(int ranks, const std::string& out, const std::string& flags) {
    const std::string at = "127.0.0.1:" + std::to_string(freePort());
    std::vector<std::string> commands;
    for (int r = 0; r < ranks; ++r)
      commands.push_back(std::string(kSecret) + " " +
                         train(path(r == 0 ? out : out + "-rank" + std::to_string(r)), flags) +
                         " --comm gloo --rendezvous " + at + " --world-size " + std::to_string(ranks) +
                         " --rank " + std::to_string(r) + " --comm-timeout 30");
    return together(commands);
  }

  CliResult mpiJob(int ranks, const std::string& out, const std::string& flags) {
    return runShell("ASAN_OPTIONS=detect_leaks=0 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun "
                    "--oversubscribe -np " + std::to_string(ranks) + " " + train(path(out), flags),
                    120);
  }

  // Rank r of a 2-rank job that trains until a fault ends it, on one port per test.
  std::string glooCommand(int r, int timeoutSeconds) {
    if (faultPort_ == 0) faultPort_ = freePort();
    return std::string(kSecret) + " " + train(path("fault" + std::to_string(r)), "--batch 16 --epochs 100000 --lr 0.01") +
           " --comm gloo --rendezvous 127.0.0.1:" + std::to_string(faultPort_) + " --world-size 2 --rank " +
           std::to_string(r) + " --comm-timeout " + std::to_string(timeoutSeconds);
  }

  shoal::Tensor weights(const std::string& run) {
    auto loaded = shoal::io::loadModel(path(run + "/model.shoal"));
    return loaded.model->flatParameters().values();
  }

  int faultPort_ = 0;
};

void expectAllSucceeded(const std::vector<CliResult>& results) {
  for (size_t r = 0; r < results.size(); ++r)
    EXPECT_EQ(results[r].exitCode, 0) << "rank " << r << ": " << results[r].err;
}

}  // namespace

TEST_F(Gloo, AllReduceMatchesOpenMpiAndOneProcessWithTheGlobalBatch) {
  expectAllSucceeded(glooJob(2, "gloo2", "--dist allreduce --batch 16 --epochs 1 --lr 0.05 --momentum 0.9"));
  expectAllSucceeded(glooJob(4, "gloo4", "--dist allreduce --batch 8 --epochs 1 --lr 0.05 --momentum 0.9"));
  ASSERT_EQ(mpiJob(2, "mpi2", "--dist allreduce --batch 16 --epochs 1 --lr 0.05 --momentum 0.9").exitCode, 0);
  ASSERT_EQ(runShell(train(path("one"), "--batch 32 --epochs 1 --lr 0.05 --momentum 0.9")).exitCode, 0);
  const shoal::Tensor one = weights("one");
  shoal::testing::expectNear(weights("gloo2"), one, 0, 1e-5, "2 Gloo ranks against one process");
  shoal::testing::expectNear(weights("gloo4"), one, 0, 1e-5, "4 Gloo ranks against one process");
  shoal::testing::expectNear(weights("gloo2"), weights("mpi2"), 0, 1e-5, "2 Gloo ranks against 2 MPI ranks");
}

TEST_F(Gloo, ParameterAveragingMatchesOpenMpi) {
  const std::string flags = "--dist average --average-every 4 --batch 16 --epochs 1 --lr 0.05 --momentum 0.9";
  expectAllSucceeded(glooJob(2, "gloo2", flags));
  ASSERT_EQ(mpiJob(2, "mpi2", flags).exitCode, 0);
  shoal::testing::expectNear(weights("gloo2"), weights("mpi2"), 0, 1e-5, "2 Gloo ranks against 2 MPI ranks");
}

// Compressed exchanges on Gloo: bf16 rings and threshold codes gathered through the byte
// all-gather (its lengths travel with the arrival) train Open MPI's weights.
TEST_F(Gloo, CompressedAllReduceMatchesOpenMpi) {
  for (const std::string compress : {"bf16", "threshold"}) {
    SCOPED_TRACE(compress);
    const std::string flags = "--dist allreduce --compress " + compress +
                              " --overlap on --bucket-mb 0.05 --batch 16 --epochs 1 --lr 0.05 --momentum 0.9";
    expectAllSucceeded(glooJob(2, "gloo-" + compress, flags));
    ASSERT_EQ(mpiJob(2, "mpi-" + compress, flags).exitCode, 0);
    shoal::testing::expectNear(weights("gloo-" + compress), weights("mpi-" + compress), 0, 1e-5,
                               "2 Gloo ranks against 2 MPI ranks, --compress " + compress);
  }
}

TEST_F(Gloo, FullBatchLbfgsMatchesOpenMpiAndOneProcess) {
  const std::string flags = "--dist lbfgs --optim lbfgs --lbfgs-iterations 1 --epochs 3 --batch 480";
  expectAllSucceeded(glooJob(2, "gloo2", flags));
  ASSERT_EQ(mpiJob(2, "mpi2", flags).exitCode, 0);
  ASSERT_EQ(runShell(train(path("one"), flags)).exitCode, 0);
  shoal::testing::expectNear(weights("gloo2"), weights("one"), 0, 1e-5, "2 Gloo ranks against one process");
  shoal::testing::expectNear(weights("gloo2"), weights("mpi2"), 0, 1e-5, "2 Gloo ranks against 2 MPI ranks");
}

TEST_F(Gloo, EnvironmentVariablesStartTheSameJobAsFlags) {
  const std::string flags = "--dist allreduce --batch 16 --iterations 6 --lr 0.05";
  expectAllSucceeded(glooJob(2, "flags", flags));
  const int port = freePort();
  writeText(path("secret"), "e2e-file-secret\n");
  // SHOAL_* names for rank 0 (the secret from a file), torchrun's for rank 1
  auto results = together({
      "SHOAL_RENDEZVOUS=127.0.0.1:" + std::to_string(port) + " SHOAL_WORLD_SIZE=2 SHOAL_RANK=0 " +
          train(path("env"), flags) + " --job-secret-file " + path("secret"),
      "MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port) + " WORLD_SIZE=2 RANK=1 " +
          train(path("env-rank1"), flags) + " --job-secret-file " + path("secret"),
  });
  expectAllSucceeded(results);
  EXPECT_NE(results[1].out.find("rank 1/2: training shard"), std::string::npos) << results[1].out;
  EXPECT_TRUE(readText(path("env/model.shoal")) == readText(path("flags/model.shoal")))
      << "the job started by environment variables trained other weights than the one started by flags";
  // the secret is never recorded
  EXPECT_EQ(readText(path("env/config.json")).find("e2e-file-secret"), std::string::npos);
  EXPECT_EQ(readText(path("flags/config.json")).find("e2e-secret"), std::string::npos);
}

TEST_F(Gloo, UnderMpirunRankAndSizeComeFromOpenMpi) {
  const std::string flags = "--dist allreduce --batch 16 --iterations 6 --lr 0.05";
  expectAllSucceeded(glooJob(2, "flags", flags));
  auto r = runShell(std::string(kSecret) + " SHOAL_RENDEZVOUS=127.0.0.1:" + std::to_string(freePort()) +
                        " ASAN_OPTIONS=detect_leaks=0 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun "
                        "--oversubscribe -np 2 -x SHOAL_JOB_SECRET -x SHOAL_RENDEZVOUS " +
                        train(path("mpirun"), flags) + " --comm gloo",
                    120);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_TRUE(readText(path("mpirun/model.shoal")) == readText(path("flags/model.shoal")))
      << "Gloo under mpirun trained other weights than Gloo started by flags";
}

TEST_F(Gloo, StrangersAreRefusedOnBothSidesAndTheJobStillStarts) {
  const int port = freePort();
  const std::string at = " --comm gloo --rendezvous 127.0.0.1:" + std::to_string(port) + " --comm-timeout 20";
  const std::string flags = "--dist allreduce --batch 16 --iterations 4 --lr 0.05";
  auto rank = [&](const std::string& env, const std::string& out, const std::string& extra) {
    return env + " " + train(path(out), flags + " " + extra) + at;
  };
  const std::string secret = kSecret;
  auto results = together(
      {rank(secret, "job", "--world-size 3 --rank 0"),
       rank(secret, "job1", "--world-size 3 --rank 1"),
       "sleep 1; " + rank("SHOAL_JOB_SECRET=a-guess", "x1", "--world-size 3 --rank 2"),
       "sleep 1; " + rank(secret, "x2", "--world-size 4 --rank 2"),
       "sleep 1; " + rank(secret, "x3", "--world-size 3 --rank 1"),
       "sleep 1; " + secret + " " + train(path("x4"), "--dist allreduce --batch 16 --iterations 4 --lr 0.05 --hidden 32") +
           at + " --world-size 3 --rank 2",
       "sleep 1; " + rank(secret, "x5", "--world-size 3 --rank 3"),
       // a port scanner's garbage and a half-open connection, held while the job goes on
       "sleep 1; bash -c 'exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(port) +
           "; printf \"GET / HTTP/1.0\\r\\n\\r\\n\" >&3; exec 4<>/dev/tcp/127.0.0.1/" + std::to_string(port) + "; sleep 3'",
       // the last rank joins once the store has refused the four strangers and the scanner
       "until [ \"$(grep -c 'rendezvous: refused' " + path("p0.err") + " 2>/dev/null)\" -ge 5 ]; do sleep 0.1; done; " +
           rank(secret, "job2", "--world-size 3 --rank 2")});
  for (int r : {0, 8}) EXPECT_EQ(results[r].exitCode, 0) << r << ": " << results[r].err;
  // Of the two processes claiming rank 1, whichever came second is the duplicate.
  if (results[1].exitCode != 0) std::swap(results[1], results[4]);
  EXPECT_EQ(results[1].exitCode, 0) << results[1].err;
  const std::string& store = results[0].err;
  struct Refusal {
    int process;
    std::string message;
  } refusals[] = {
      {2, "refused this rank: wrong job secret (its handshake was not signed with this job's secret)"},
      {3, "refused this rank: wrong world size: it says 4, the job has 3 ranks"},
      {4, "refused this rank: duplicate rank: rank 1 already joined from 127.0.0.1:"},
      {5, "refused this rank: its run configuration differs from rank 0's (configuration hash "},
  };
  for (const Refusal& r : refusals) {
    SCOPED_TRACE(r.message);
    EXPECT_EQ(results[r.process].exitCode, 2);
    EXPECT_NE(results[r.process].err.find("rendezvous at 127.0.0.1:" + std::to_string(port) + ": " + r.message),
              std::string::npos)
        << results[r.process].err;
    const std::string reason = r.message.substr(std::string("refused this rank: ").size());
    EXPECT_NE(store.find("shoal: warning: rendezvous: refused "), std::string::npos) << store;
    EXPECT_NE(store.find(reason), std::string::npos) << store;
  }
  EXPECT_EQ(results[6].exitCode, 2);
  EXPECT_NE(results[6].err.find("--rank 3 is out of range for --world-size 3 (ranks 0-2)"), std::string::npos)
      << results[6].err;
  EXPECT_NE(store.find("(not a shoal rendezvous handshake)"), std::string::npos) << store;
  EXPECT_NE(readText(path("job/metrics.jsonl")).find("\"type\":\"epoch\""), std::string::npos);
}

TEST_F(Gloo, AKilledRankEndsTheJobWithinTheTimeoutNamingIt) {
  const auto start = std::chrono::steady_clock::now();
  auto results = together({"SHOAL_INJECT_FAULT=kill@1:5 " + glooCommand(0, 5), "SHOAL_INJECT_FAULT=kill@1:5 " + glooCommand(1, 5)});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_NE(results[0].exitCode, 0);
  EXPECT_NE(results[0].err.find("rank 0: waited 5 s (--comm-timeout) for the other ranks at collective #"),
            std::string::npos) << results[0].err;
  EXPECT_NE(results[0].err.find("rank 1 "), std::string::npos) << results[0].err;
  EXPECT_LT(seconds, 20);
}

TEST_F(Gloo, AStoppedRankEndsTheJobWithinTheTimeoutNamingIt) {
  // rank 1 is stopped (SIGSTOP) once it trains; rank 0 waits 3 s for it at its next collective
  const auto start = std::chrono::steady_clock::now();
  // (exec: the recorded pid is rank 1's own process)
  auto results = together({glooCommand(0, 3), "exec env " + glooCommand(1, 3)},
                          "until grep -q 'training shard' " + path("p1.out") + " 2>/dev/null; do sleep 0.05; done; "
                          "pid=$(cat " + path("p1.pid") + "); kill -STOP $pid; "
                          "while [ ! -s " + path("p0.rc") + " ]; do sleep 0.1; done; kill -KILL $pid;");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_NE(results[0].exitCode, 0);
  // stopped between collectives, or in the middle of one
  EXPECT_TRUE(results[0].err.find("rank 1 did not arrive (stalled or dead)") != std::string::npos ||
              results[0].err.find("rank 1 stopped responding during it (stalled or dead)") != std::string::npos)
      << results[0].err;
  EXPECT_LT(seconds, 20);
}
