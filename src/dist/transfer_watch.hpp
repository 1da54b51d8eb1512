// A deadline for a blocking MPI transfer, which cannot be interrupted: a watch thread ends the
// process when the transfer has not finished in time (a link cut or a rank stopped mid-transfer).
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace shoal::dist {

class TransferWatch {
 public:
  // `rank` and `peers` (the other ranks of the transfers, by their ranks in the job) and
  // `timeoutName` go into the message; `timeoutSeconds` 0: never fires.
  TransferWatch(int rank, const std::vector<int>& peers, double timeoutSeconds, std::string timeoutName);
  ~TransferWatch();
  TransferWatch(const TransferWatch&) = delete;
  TransferWatch& operator=(const TransferWatch&) = delete;

  // Collective number `sequence` (`what`, of `count` values) starts its transfer: unless stop()
  // comes within the timeout, the watch prints why on stderr and ends the process with exit
  // code 1 (mpirun then ends the other ranks). Neither call allocates.
  void start(int64_t sequence, const char* what, size_t count);
  void stop();

 private:
  void watch();

  int rank_;
  double timeout_;
  std::string timeoutName_;
  std::string cause_;  // "the link to rank 1 failed or rank 1 stopped during the transfer"
  std::mutex mutex_;
  std::condition_variable changed_;
  bool running_ = false;   // a transfer is being watched
  bool closing_ = false;
  int64_t sequence_ = 0;
  const char* what_ = "";
  size_t count_ = 0;
  std::chrono::steady_clock::time_point deadline_;
  std::thread thread_;     // started with the first transfer
};

}  // namespace shoal::dist
