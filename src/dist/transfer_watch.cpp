// The watch thread behind a blocking MPI transfer's deadline.
#include "transfer_watch.hpp"

#include <cstdio>
#include <cstdlib>

namespace shoal::dist {

TransferWatch::TransferWatch(int rank, const std::vector<int>& peers, double timeoutSeconds, std::string timeoutName)
    : rank_(rank), timeout_(timeoutSeconds), timeoutName_(std::move(timeoutName)) {
  std::string named;
  for (size_t i = 0; i < peers.size(); ++i)
    named += (i == 0 ? "" : i + 1 == peers.size() ? " or " : ", ") + std::to_string(peers[i]);
  cause_ = peers.size() == 1 ? "the link to rank " + named + " failed or rank " + named + " stopped during the transfer"
                             : "a link to rank " + named + " failed or one of them stopped during the transfer";
}

TransferWatch::~TransferWatch() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  changed_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void TransferWatch::start(int64_t sequence, const char* what, size_t count) {
  if (timeout_ <= 0) return;
  {
    std::lock_guard lock(mutex_);
    running_ = true;
    sequence_ = sequence;
    what_ = what;
    count_ = count;
    deadline_ = std::chrono::steady_clock::now() +
                std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(timeout_));
  }
  if (!thread_.joinable()) thread_ = std::thread([this] { watch(); });
  changed_.notify_one();
}

void TransferWatch::stop() {
  if (timeout_ <= 0) return;
  std::lock_guard lock(mutex_);
  running_ = false;
}

void TransferWatch::watch() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return running_ || closing_; });
    if (closing_) return;
    if (changed_.wait_until(lock, deadline_, [this] { return !running_ || closing_; })) continue;
    if (std::chrono::steady_clock::now() < deadline_) continue;  // a later transfer moved the deadline
    std::fprintf(stderr,
                 "shoal: error: rank %d: collective #%lld (%s, %zu values) did not finish within %g s "
                 "(%s) after every rank had arrived: %s\n",
                 rank_, static_cast<long long>(sequence_), what_, count_, timeout_, timeoutName_.c_str(),
                 cause_.c_str());
    std::fflush(stderr);
    std::fflush(stdout);
    std::_Exit(1);
  }
}

}  // namespace shoal::dist
