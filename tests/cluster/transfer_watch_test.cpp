// The transfer deadline: transfers that end in time are left alone; a stuck one ends the process
// with a message naming the collective and the ranks it involves.
#include <chrono>
#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>

#include "dist/transfer_watch.hpp"

using shoal::dist::TransferWatch;
using namespace std::chrono_literals;

TEST(TransferWatch, TransfersThatEndInTimeAreLeftAlone) {
  TransferWatch watch(0, {1}, 0.2, "--comm-timeout");
  for (int i = 1; i <= 3; ++i) {
    watch.start(i, "an all-reduce of floats", 10);
    std::this_thread::sleep_for(50ms);
    watch.stop();
  }
  std::this_thread::sleep_for(400ms);  // past the deadline of the last, stopped, transfer
  SUCCEED();
}

TEST(TransferWatchDeathTest, AStuckTransferEndsTheProcessNamingThePeers) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        TransferWatch watch(2, {0, 1, 3}, 0.2, "--comm-timeout");
        watch.start(7, "an all-reduce of floats", 10);
        std::this_thread::sleep_for(10s);
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(1),
      "rank 2: collective #7 .an all-reduce of floats, 10 values. did not finish within 0.2 s "
      ".--comm-timeout. after every rank had arrived: a link to rank 0, 1 or 3 failed or one of them "
      "stopped during the transfer");
  EXPECT_EXIT(
      {
        TransferWatch watch(0, {1}, 0.2, "--comm-timeout");
        watch.start(3, "a broadcast of floats", 5);
        std::this_thread::sleep_for(10s);
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(1), "the link to rank 1 failed or rank 1 stopped during the transfer");
}
