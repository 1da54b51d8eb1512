// The Gloo communicator's collectives, with 3 ranks as threads of this process joined through the
// TCP rendezvous on loopback (and 2 through a directory or in a pair's exchange): sums, maxima,
// bf16 sums with one rounding per hop, broadcasts, gathers of values and of bytes of different
// lengths, and what a job without a secret or rendezvous is told.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <future>
#include <string>
#include <vector>

#include "dist/rendezvous_socket.hpp"
#include "shoal/dist/connect.hpp"
#include "shoal/error.hpp"
#include "support/cli_runner.hpp"

using shoal::bfloat16;
using shoal::dist::Communicator;
using shoal::dist::ConnectOptions;
using shoal::dist::ReduceOp;

namespace {

int freePort() {
  int fd = shoal::dist::rendezvous::listenOn("127.0.0.1", 0);
  int port = shoal::dist::rendezvous::boundPort(fd);
  ::close(fd);
  return port;
}

// Runs `body(comm)` on `size` ranks (threads) joined through `rendezvous`.
void onRanks(int size, const std::string& rendezvous, const std::function<void(Communicator&)>& body) {
  std::vector<std::future<void>> ranks;
  for (int r = 0; r < size; ++r)
    ranks.push_back(std::async(std::launch::async, [=] {
      ConnectOptions o;
      o.comm = "gloo";
      o.timeoutSeconds = 20;
      o.rendezvous = rendezvous;
      o.worldSize = size;
      o.rank = r;
      o.jobSecret = "test-secret";
      o.configuration = "same everywhere";
      auto comm = shoal::dist::connect(o);
      ASSERT_EQ(comm->rank(), r);
      ASSERT_EQ(comm->size(), size);
      body(*comm);
    }));
  for (auto& r : ranks) r.get();
}

std::string loopback() { return "127.0.0.1:" + std::to_string(freePort()); }

}  // namespace

TEST(GlooCommunicator, ReducesBroadcastsAndGathers) {
  onRanks(3, loopback(), [](Communicator& comm) {
    const int r = comm.rank();
    EXPECT_EQ(comm.localSize(), 3);  // one machine
    std::vector<float> f(1000);
    for (size_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>(i) * (r + 1);
    comm.allReduce(std::span<float>(f), ReduceOp::Sum);
    for (size_t i = 0; i < f.size(); i += 97) EXPECT_EQ(f[i], static_cast<float>(i) * 6);
    std::vector<double> d{static_cast<double>(r), -static_cast<double>(r)};
    comm.allReduce(std::span<double>(d), ReduceOp::Max);
    EXPECT_EQ(d, (std::vector<double>{2, 0}));
    comm.allReduce(std::span<double>(d), ReduceOp::Min);
    EXPECT_EQ(d, (std::vector<double>{2, 0}));
    std::vector<float> b(5, static_cast<float>(r));
    comm.broadcast(std::span<float>(b), 1);
    EXPECT_EQ(b, std::vector<float>(5, 1.0f));
    EXPECT_EQ(comm.allGather(10 * r), (std::vector<int64_t>{0, 10, 20}));
    std::vector<std::byte> mine(static_cast<size_t>(r), std::byte{static_cast<unsigned char>(r)});
    auto all = comm.allGatherBytes(mine);
    ASSERT_EQ(all.size(), 3u);
    for (int q = 0; q < 3; ++q)
      EXPECT_EQ(all[q], std::vector<std::byte>(static_cast<size_t>(q), std::byte{static_cast<unsigned char>(q)}));
    std::vector<std::byte> gathered(3), tooSmall(2);  // 0 + 1 + 2 bytes come
    std::vector<int64_t> lengths(3);
    comm.barrier();  // the collective before says nothing of the lengths
    comm.allGatherBytesInto(mine, gathered, lengths);
    EXPECT_EQ(lengths, (std::vector<int64_t>{0, 1, 2}));
    EXPECT_EQ(gathered, (std::vector<std::byte>{std::byte{1}, std::byte{2}, std::byte{2}}));
    EXPECT_THROW(comm.allGatherBytesInto(mine, tooSmall, lengths), shoal::UsageError);
    std::vector<std::byte> twice(2 * static_cast<size_t>(r) + 1, std::byte{7}), all3(9);  // 1 + 3 + 5
    std::vector<float> unrelated(2, 1e30f);
    comm.allReduce(std::span<float>(unrelated), ReduceOp::Sum);  // other values in the arrival before
    comm.allGatherBytesInto(twice, all3, lengths);
    EXPECT_EQ(lengths, (std::vector<int64_t>{1, 3, 5}));
    EXPECT_EQ(all3, std::vector<std::byte>(9, std::byte{7}));
    comm.barrier();
    EXPECT_GT(comm.stats().collectives, 0);
  });
}

TEST(GlooCommunicator, Bf16SumsAreRoundedOncePerHopAndIdenticalOnEveryRank) {
  // 1 + 2^-8 is not a bf16 (8 bits of mantissa): each hop rounds
  onRanks(2, loopback(), [](Communicator& comm) {
    std::vector<bfloat16> v{bfloat16(1.0f), bfloat16(256.0f), bfloat16(0.5f)};
    const float other[] = {0.00390625f, 1.0f, 0.25f};
    if (comm.rank() == 1)
      for (size_t i = 0; i < v.size(); ++i) v[i] = bfloat16(other[i]);
    comm.allReduceBf16(v);
    EXPECT_EQ(static_cast<float>(v[0]), 1.0f);    // bf16(1 + 2^-8) rounds to even: 1
    EXPECT_EQ(static_cast<float>(v[1]), 256.0f);  // bf16(257) = 256
    EXPECT_EQ(static_cast<float>(v[2]), 0.75f);
  });
}

// Up to 256 bytes travel inside the arrival messages and are combined in rank order on every
// rank; larger ones go through Gloo's ring (more than two ranks). Both give every rank the same
// bits.
TEST(GlooCommunicator, SmallAndLargeAllReducesGiveTheSameBitsOnEveryRank) {
  onRanks(3, loopback(), [](Communicator& comm) {
    const int r = comm.rank();
    for (size_t n : {size_t{1}, size_t{3}, size_t{64}, size_t{65}, size_t{1000}}) {
      std::vector<float> v(n);
      for (size_t i = 0; i < n; ++i) v[i] = 0.1f * static_cast<float>((r + 1) * (i + 1)) + 1e-3f * r;
      std::vector<float> sum = v;
      comm.allReduce(std::span<float>(sum), ReduceOp::Sum);
      std::vector<float> mx = v;
      comm.allReduce(std::span<float>(mx), ReduceOp::Max);
      for (size_t i = 0; i < n; ++i) {
        auto value = [&](int q) { return 0.1f * static_cast<float>((q + 1) * (i + 1)) + 1e-3f * q; };
        EXPECT_NEAR(sum[i], value(0) + value(1) + value(2), 1e-5f * sum[i]) << "n " << n << " element " << i;
        EXPECT_EQ(mx[i], value(2)) << "n " << n << " element " << i;
      }
      const auto bits = comm.allGatherBytes(std::as_bytes(std::span<const float>(sum)));
      EXPECT_EQ(bits[0], bits[1]) << n;
      EXPECT_EQ(bits[0], bits[2]) << n;
    }
    std::vector<double> d(32, 1.0 + r);  // 256 bytes: the largest that travels with the arrival
    comm.allReduce(std::span<double>(d), ReduceOp::Sum);
    EXPECT_EQ(d, std::vector<double>(32, 6.0));
    std::vector<bfloat16> b{bfloat16(1.0f), bfloat16(0.00390625f)};
    if (r != 0) b = {bfloat16(0.00390625f), bfloat16(0.00390625f)};
    comm.allReduceBf16(b);  // rank order, rounded per addition: (1 + 2^-8) + 2^-8 -> 1 -> 1
    EXPECT_EQ(static_cast<float>(b[0]), 1.0f);
    EXPECT_EQ(static_cast<float>(b[1]), static_cast<float>(bfloat16(0.01171875f)));
  });
}

// Two ranks exchange whole buffers and each adds the other's (one round instead of Gloo's ring):
// exact sums, bf16 rounded once, the same bits on both; maxima still take Gloo's ring.
TEST(GlooCommunicator, TwoRanksSumByExchangingWholeBuffers) {
  onRanks(2, loopback(), [](Communicator& comm) {
    const int r = comm.rank();
    const size_t n = 300'001;  // 1.2 MB of floats, an odd count
    auto value = [](int q, size_t i) { return 0.001f * static_cast<float>((i % 1000) + 1) * (q ? -3.0f : 7.0f) + q; };
    std::vector<float> f(n), mx(n);
    for (size_t i = 0; i < n; ++i) f[i] = mx[i] = value(r, i);
    comm.allReduce(std::span<float>(f), ReduceOp::Sum);
    comm.allReduce(std::span<float>(mx), ReduceOp::Max);
    for (size_t i = 0; i < n; i += 997) {
      EXPECT_EQ(f[i], value(0, i) + value(1, i)) << i;  // one addition, either order
      EXPECT_EQ(mx[i], std::max(value(0, i), value(1, i))) << i;
    }
    std::vector<double> d(70'000, 0.5 + r);
    comm.allReduce(std::span<double>(d), ReduceOp::Sum);
    EXPECT_EQ(d, std::vector<double>(d.size(), 2.0));
    std::vector<bfloat16> b(50'000, bfloat16(r == 0 ? 1.0f : 0.00390625f));
    comm.allReduceBf16(b);  // bf16(1 + 2^-8) rounds to even: 1
    EXPECT_EQ(static_cast<float>(b.front()), 1.0f);
    EXPECT_EQ(static_cast<float>(b.back()), 1.0f);
    for (const auto& bits : {comm.allGatherBytes(std::as_bytes(std::span<const float>(f))),
                             comm.allGatherBytes(std::as_bytes(std::span<const float>(mx)))})
      EXPECT_EQ(bits[0], bits[1]);
  });
}

// A rank that calls another collective than the others ends the job naming it, whether or not
// the collectives' numbers agree.
TEST(GlooCommunicatorDeathTest, RanksAtDifferentCollectivesAreNamed) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(onRanks(2, loopback(),
                      [](Communicator& comm) {
                        std::vector<float> v(4, 1.0f);
                        if (comm.rank() == 0) comm.allReduce(std::span<float>(v), ReduceOp::Sum);
                        else comm.allGather(7);
                      }),
              ::testing::ExitedWithCode(1), "is at a different collective");
}

TEST(GlooCommunicator, JoinsThroughADirectory) {
  const std::string dir = shoal::testing::makeTempDir("gloo-file-rendezvous");
  onRanks(2, "file:" + dir, [](Communicator& comm) {
    std::vector<float> f{1.0f + comm.rank()};
    comm.allReduce(std::span<float>(f), ReduceOp::Sum);
    EXPECT_EQ(f[0], 3.0f);
  });
  EXPECT_TRUE(std::filesystem::exists(dir + "/attempt-0/joined-rank-1"));
  std::filesystem::remove_all(dir);
}

TEST(GlooCommunicator, MissingSettingsAreConfigErrors) {
  ConnectOptions o;
  o.comm = "gloo";
  o.worldSize = 2;
  o.rank = 0;
  auto message = [&] {
    try {
      shoal::dist::connect(o);
    } catch (const shoal::ConfigError& e) {
      return e.key() + ": " + e.message();
    }
    return std::string("no error");
  };
  ::unsetenv("SHOAL_RENDEZVOUS");
  ::unsetenv("MASTER_ADDR");
  ::unsetenv("SHOAL_JOB_SECRET");
  EXPECT_NE(message().find("dist.rendezvous: \"dist.comm\" gloo needs \"dist.rendezvous\""), std::string::npos);
  o.rendezvous = "127.0.0.1:1";
  EXPECT_NE(message().find("dist.job_secret_file: the rendezvous needs the job's secret"), std::string::npos);
  o.rank = 2;
  EXPECT_NE(message().find("dist.rank: \"dist.rank\" 2 is out of range for \"dist.world_size\" 2 (ranks 0-1)"),
            std::string::npos)
      << message();
  o.rank = 0;
  o.rendezvous = "no-port";
  o.jobSecret = "s";
  EXPECT_NE(message().find("expected HOST:PORT or file:DIR, got \"no-port\""), std::string::npos) << message();
}
