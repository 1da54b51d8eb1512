// The rendezvous through a directory: ranks of the job meet; a marker made with another secret,
// world size or configuration ends both sides with the reason; a second marker for a rank is a
// duplicate; missing ranks are named.
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <string>

#include "dist/rendezvous_directory.hpp"
#include "shoal/error.hpp"
#include "support/cli_runner.hpp"

namespace rv = shoal::dist::rendezvous;

namespace {

rv::JobIdentity job(const std::string& secret = "dir-secret", int worldSize = 2) {
  return {secret, worldSize, "0", shoal::dist::sha256("model: mlp")};
}

// The message each of two ranks (joining at once) ends with, "" for one that got in.
std::pair<std::string, std::string> joinBoth(const std::string& dir, rv::JobIdentity a, rv::JobIdentity b) {
  auto join = [&](rv::JobIdentity who, int rank) {
    return std::async(std::launch::async, [=] {
      try {
        rv::joinThroughDirectory(dir, who, rank, 2, "timeout");
      } catch (const shoal::Error& e) {
        return std::string(e.what());
      }
      return std::string();
    });
  };
  auto first = join(a, 0), second = join(b, 1);
  return {first.get(), second.get()};
}

class DirectoryRendezvous : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = shoal::testing::makeTempDir("dir-rendezvous"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

}  // namespace

TEST_F(DirectoryRendezvous, RanksOfTheJobMeet) {
  auto [a, b] = joinBoth(dir_, job(), job());
  EXPECT_EQ(a, "");
  EXPECT_EQ(b, "");
}

TEST_F(DirectoryRendezvous, AnotherSecretEndsBothSidesWithTheReason) {
  auto [a, b] = joinBoth(dir_, job(), job("a-guess"));
  EXPECT_NE(a.find("rank 0: rendezvous in " + dir_ + "/attempt-0: refused rank 1's marker: wrong job secret"),
            std::string::npos) << a;
  EXPECT_NE(b.find("rank 1: rendezvous in " + dir_ + "/attempt-0: refused rank 0's marker: wrong job secret"),
            std::string::npos) << b;
}

TEST_F(DirectoryRendezvous, AnotherWorldSizeOrConfigurationIsRefused) {
  auto [a, b] = joinBoth(dir_, job(), job("dir-secret", 3));
  EXPECT_NE(a.find("refused rank 1's marker: wrong world size: it says 3, this rank has 2"), std::string::npos) << a;
  auto other = job();
  other.configHash = shoal::dist::sha256("model: lenet5");
  auto [c, d] = joinBoth(dir_ + "/second", job(), other);
  EXPECT_NE(c.find("refused rank 1's marker: its run configuration differs from this rank's"), std::string::npos) << c;
  EXPECT_NE(d.find("refused rank 0's marker: its run configuration differs from this rank's"), std::string::npos) << d;
}

TEST_F(DirectoryRendezvous, ADuplicateRankAndMissingRanksAreNamed) {
  try {
    rv::joinThroughDirectory(dir_, job("dir-secret", 3), 0, 0.2, "--comm-timeout");
    FAIL() << "ranks 1 and 2 never joined";
  } catch (const shoal::Error& e) {
    EXPECT_NE(std::string(e.what()).find("ranks 1, 2 did not join within 0.2 s (--comm-timeout)"), std::string::npos)
        << e.what();
  }
  try {
    rv::joinThroughDirectory(dir_, job("dir-secret", 3), 0, 0.2, "--comm-timeout");
    FAIL() << "a second rank 0 got in";
  } catch (const shoal::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("duplicate rank: rank 0 already joined"), std::string::npos) << e.what();
  }
}
