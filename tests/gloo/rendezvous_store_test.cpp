// The rendezvous store on rank 0: ranks of the job get in and share keys; every kind of stranger
// (wrong secret, world size, attempt or configuration, duplicate or out-of-range rank, a port
// scanner's garbage, a half-open or oversized connection) is refused with its reason on both
// sides, and the store keeps serving the right ranks meanwhile.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "dist/rendezvous_client.hpp"
#include "dist/rendezvous_protocol.hpp"
#include "dist/rendezvous_server.hpp"
#include "dist/rendezvous_socket.hpp"
#include "shoal/error.hpp"

namespace rv = shoal::dist::rendezvous;

namespace {

rv::JobIdentity job(int worldSize = 2) {
  return {"the-job-secret", worldSize, "0", shoal::dist::sha256("model: mlp")};
}

struct Running {
  explicit Running(rv::JobIdentity identity, double handshakeSeconds = 5)
      : server("127.0.0.1", 0, identity, handshakeSeconds), at{"127.0.0.1", server.port()} {}
  rv::StoreServer server;
  rv::Endpoint at;
};

// The message of the UsageError that joining as `who` raises ("" when it was admitted).
std::string refusal(const rv::Endpoint& at, const rv::JobIdentity& who, int rank) {
  try {
    rv::StoreClient client(at, who, rank, 5, "timeout");
  } catch (const shoal::UsageError& e) {
    return e.what();
  }
  return "";
}

// Starts capturing stderr, runs `f`, returns what the store printed meanwhile.
template <class F>
std::string storeWarnings(F f) {
  ::testing::internal::CaptureStderr();
  f();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the store's thread prints
  return ::testing::internal::GetCapturedStderr();
}

rv::Clock::time_point soon() { return rv::Clock::now() + std::chrono::seconds(5); }

}  // namespace

TEST(RendezvousStore, RanksOfTheJobShareKeysAndGetWaitsForSet) {
  Running store(job());
  rv::StoreClient rank0(store.at, job(), 0, 5, "timeout");
  auto later = std::async(std::launch::async, [&] {
    rv::StoreClient rank1(store.at, job(), 1, 5, "timeout");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    rank1.set("address-1", {'x', 'y'});
    rank1.awaitEveryRank(2);
    return rank1.get("address-0");
  });
  EXPECT_EQ(rank0.get("address-1"), (std::vector<char>{'x', 'y'}));  // blocks until rank 1 set it
  rank0.set("address-0", {'z'});
  rank0.awaitEveryRank(2);
  EXPECT_EQ(later.get(), std::vector<char>{'z'});
}

TEST(RendezvousStore, RefusesStrangersWithTheirReasonOnBothSidesAndStillAdmitsTheJob) {
  Running store(job(3));
  auto wrongSecret = job(3);
  wrongSecret.secret = "a-guess";
  auto wrongWorld = job(4);
  auto otherAttempt = job(3);
  otherAttempt.attempt = "7";
  auto otherConfig = job(3);
  otherConfig.configHash = shoal::dist::sha256("model: lenet5");
  rv::StoreClient first(store.at, job(3), 1, 5, "timeout");
  struct Case {
    rv::JobIdentity who;
    int rank;
    std::string message;
  } cases[] = {
      {wrongSecret, 0, "wrong job secret (its handshake was not signed with this job's secret)"},
      {wrongWorld, 0, "wrong world size: it says 4, the job has 3 ranks"},
      {job(3), 5, "rank 5 is out of range (the job's ranks are 0-2)"},
      {job(3), 1, "duplicate rank: rank 1 already joined from 127.0.0.1:"},
      {otherConfig, 0, "its run configuration differs from rank 0's (configuration hash"},
      {otherAttempt, 0, "it is from attempt \"7\" of the job, this store serves attempt \"0\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    std::string refused;
    const std::string warned = storeWarnings([&] { refused = refusal(store.at, c.who, c.rank); });
    EXPECT_NE(refused.find("rendezvous at 127.0.0.1:" + std::to_string(store.at.port) + ": refused this rank: " +
                           c.message),
              std::string::npos)
        << refused;
    EXPECT_NE(warned.find("shoal: warning: rendezvous: refused "), std::string::npos) << warned;
    EXPECT_NE(warned.find(c.message), std::string::npos) << warned;
  }
  rv::StoreClient rank0(store.at, job(3), 0, 5, "timeout");
  rv::StoreClient rank2(store.at, job(3), 2, 5, "timeout");
  rank2.awaitEveryRank(3);
}

TEST(RendezvousStore, GarbageAndOversizedMessagesAreRefusedWithoutHarm) {
  Running store(job());
  const std::string warned = storeWarnings([&] {
    // a port scanner speaking HTTP: its first four bytes read as a huge length
    int scanner = rv::connectBy(store.at, soon());
    ASSERT_GE(scanner, 0);
    ASSERT_TRUE(rv::sendAllBy(scanner, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", soon()));
    // a frame of the right size with nonsense inside
    int nonsense = rv::connectBy(store.at, soon());
    ASSERT_TRUE(rv::sendAllBy(nonsense, rv::frame(std::string(100, '\x7f')), soon()));
    rv::StoreClient rank0(store.at, job(), 0, 5, "timeout");
    rv::StoreClient rank1(store.at, job(), 1, 5, "timeout");
    rank1.awaitEveryRank(2);
    // the store closed both: reading ends at once instead of waiting for more
    for (int fd : {scanner, nonsense}) {
      const auto start = rv::Clock::now();
      EXPECT_FALSE(rv::recvExactlyBy(fd, 4096, soon()).has_value());
      EXPECT_LT(std::chrono::duration<double>(rv::Clock::now() - start).count(), 2);
      ::close(fd);
    }
  });
  EXPECT_NE(warned.find("bytes is over the limit of 1024 (not a shoal rendezvous handshake)"), std::string::npos)
      << warned;
  EXPECT_NE(warned.find(": not a shoal rendezvous handshake"), std::string::npos) << warned;
}

TEST(RendezvousStore, AHalfOpenConnectionDoesNotBlockTheJobAndIsDropped) {
  Running store(job(), /*handshakeSeconds=*/0.5);
  const std::string warned = storeWarnings([&] {
    int silent = rv::connectBy(store.at, soon());  // connects, then says nothing
    ASSERT_GE(silent, 0);
    const auto start = rv::Clock::now();
    rv::StoreClient rank0(store.at, job(), 0, 5, "timeout");
    rv::StoreClient rank1(store.at, job(), 1, 5, "timeout");
    rank0.awaitEveryRank(2);
    EXPECT_LT(std::chrono::duration<double>(rv::Clock::now() - start).count(), 0.4);
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    ::close(silent);
  });
  EXPECT_NE(warned.find("no handshake within 0.5 s (a half-open connection or not a shoal rank)"), std::string::npos)
      << warned;
}

TEST(RendezvousStore, RanksThatDoNotJoinAreNamed) {
  Running store(job(4));
  rv::StoreClient rank0(store.at, job(4), 0, 0.3, "--comm-timeout");
  rv::StoreClient rank2(store.at, job(4), 2, 0.3, "--comm-timeout");
  try {
    rank0.awaitEveryRank(4);
    FAIL() << "expected the missing ranks to be named";
  } catch (const shoal::Error& e) {
    EXPECT_NE(std::string(e.what()).find("ranks 1, 3 did not join within 0.3 s (--comm-timeout)"), std::string::npos)
        << e.what();
  }
}

TEST(RendezvousStore, AStoreWithoutTheSecretIsNotTrusted) {
  auto other = job();
  other.secret = "someone-else's";
  Running impostor(other);
  // The impostor refuses the rank (the rank's MAC does not check out under its secret)...
  EXPECT_NE(refusal(impostor.at, job(), 0).find("refused this rank: wrong job secret"), std::string::npos);
  // ...and a store that is no store at all is named as such.
  int fd = rv::listenOn("127.0.0.1", 0);
  rv::Endpoint at{"127.0.0.1", rv::boundPort(fd)};
  try {
    rv::StoreClient client(at, job(), 0, 0.3, "timeout");
    FAIL() << "a silent listener passed for a store";
  } catch (const shoal::Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a shoal rendezvous store"), std::string::npos) << e.what();
  }
  ::close(fd);
}
