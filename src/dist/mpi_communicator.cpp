// The Open MPI communicator: before each collective the ranks tell each other they arrived, and
// that wait has a deadline, so a stalled rank ends the job with a message naming it.
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "shoal/dist/communicator.hpp"
#include "shoal/error.hpp"

namespace shoal::dist {
namespace {

using Clock = std::chrono::steady_clock;

MPI_Op toMpi(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum: return MPI_SUM;
    case ReduceOp::Max: return MPI_MAX;
    case ReduceOp::Min: return MPI_MIN;
  }
  return MPI_SUM;
}

int envInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

class MpiCommunicator final : public Communicator {
 public:
  explicit MpiCommunicator(double timeoutSeconds) : timeout_(timeoutSeconds) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      MPI_Init(nullptr, nullptr);
      ownsMpi_ = true;
    }
    MPI_Comm_dup(MPI_COMM_WORLD, &collectives_);
    MPI_Comm_dup(MPI_COMM_WORLD, &arrivals_);
    MPI_Comm_rank(collectives_, &rank_);
    MPI_Comm_size(collectives_, &size_);
    localSize_ = envInt("OMPI_COMM_WORLD_LOCAL_SIZE", 0);
    if (localSize_ <= 0) {
      MPI_Comm local;
      MPI_Comm_split_type(collectives_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local);
      MPI_Comm_size(local, &localSize_);
      MPI_Comm_free(&local);
    }
    arrivedIn_.assign(size_, 0);
    arrivalRequests_.assign(2 * size_, MPI_REQUEST_NULL);
  }

  ~MpiCommunicator() override {
    MPI_Comm_free(&arrivals_);
    MPI_Comm_free(&collectives_);
    if (ownsMpi_) MPI_Finalize();
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int localSize() const override { return localSize_; }

  void allReduce(std::span<float> data, ReduceOp op) override {
    run("an all-reduce of floats", data.size(), ringBytes(data.size_bytes()),
        [&] {
          MPI_Allreduce(MPI_IN_PLACE, data.data(), static_cast<int>(data.size()), MPI_FLOAT,
                        toMpi(op), collectives_);
        });
  }

  void allReduce(std::span<double> data, ReduceOp op) override {
    run("an all-reduce of doubles", data.size(), ringBytes(data.size_bytes()),
        [&] {
          MPI_Allreduce(MPI_IN_PLACE, data.data(), static_cast<int>(data.size()), MPI_DOUBLE,
                        toMpi(op), collectives_);
        });
  }

  void broadcast(std::span<float> data, int root) override {
    run("a broadcast of floats", data.size(), rank_ == root ? data.size_bytes() : 0,
        [&] { MPI_Bcast(data.data(), static_cast<int>(data.size()), MPI_FLOAT, root, collectives_); });
  }

  std::vector<int64_t> allGather(int64_t value) override {
    std::vector<int64_t> all(size_);
    run("an all-gather of values", 1, static_cast<double>(sizeof value) * (size_ - 1), [&] {
      MPI_Allgather(&value, 1, MPI_INT64_T, all.data(), 1, MPI_INT64_T, collectives_);
    });
    return all;
  }

  void barrier() override {
    run("a barrier", 0, 0, [] {});  // the arrival exchange is the barrier
  }

  [[noreturn]] void abort(int exitCode) override {
    std::fflush(stdout);
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, exitCode);
    std::_Exit(exitCode);
  }

 private:
  double ringBytes(size_t bytes) const {
    return 2.0 * (size_ - 1) / size_ * static_cast<double>(bytes);
  }

  // Collective number `sequence_`: every rank tells every peer it arrived and waits for theirs
  // within the deadline (the time spent waiting for slower ranks), then `collective` runs with
  // everyone present (the transfer). `what` and `count` name it in a timeout message.
  template <class Collective>
  void run(const char* what, size_t count, double bytes, Collective collective) {
    auto begin = Clock::now();
    ++sequence_;
    arrivedOut_ = sequence_;
    for (int peer = 0; peer < size_; ++peer) {
      if (peer == rank_) continue;
      MPI_Isend(&arrivedOut_, 1, MPI_INT64_T, peer, 0, arrivals_, &arrivalRequests_[2 * peer]);
      MPI_Irecv(&arrivedIn_[peer], 1, MPI_INT64_T, peer, 0, arrivals_, &arrivalRequests_[2 * peer + 1]);
    }
    for (auto& r : arrivalRequests_) waitFor(r, what, count, begin);
    auto everyone = Clock::now();
    collective();
    auto end = Clock::now();
    stats_.waitSeconds += std::chrono::duration<double>(everyone - begin).count();
    stats_.seconds += std::chrono::duration<double>(end - begin).count();
    stats_.bytesSent += bytes;
    ++stats_.collectives;
  }

  void waitFor(MPI_Request& request, const char* what, size_t count, Clock::time_point begin) {
    for (int polls = 0;; ++polls) {
      int done = 0;
      MPI_Test(&request, &done, MPI_STATUS_IGNORE);
      if (done) return;
      if (polls > 10000) {
        double waited = std::chrono::duration<double>(Clock::now() - begin).count();
        if (timeout_ > 0 && waited > timeout_) reportTimeout(what, count);
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
    }
  }

  [[noreturn]] void reportTimeout(const char* what, size_t count) {
    std::string missing;
    for (int peer = 0; peer < size_; ++peer) {
      if (peer == rank_) continue;
      int done = 0;
      MPI_Test(&arrivalRequests_[2 * peer + 1], &done, MPI_STATUS_IGNORE);
      if (!done) missing += (missing.empty() ? "" : ", ") + std::to_string(peer);
    }
    std::fprintf(stderr,
                 "shoal: error: rank %d: waited %g s (--comm-timeout) for the other ranks at "
                 "collective #%lld (%s, %zu values): %s\n",
                 rank_, timeout_, static_cast<long long>(sequence_), what, count,
                 missing.empty() ? "every rank arrived but the messages did not complete"
                                 : ("rank " + missing + " did not arrive (stalled or dead)").c_str());
    abort(1);
  }

  double timeout_;
  bool ownsMpi_ = false;
  MPI_Comm collectives_ = MPI_COMM_NULL;
  MPI_Comm arrivals_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1, localSize_ = 1;
  int64_t sequence_ = 0;
  int64_t arrivedOut_ = 0;
  std::vector<int64_t> arrivedIn_;
  std::vector<MPI_Request> arrivalRequests_;
};

}  // namespace

bool launchedByMpirun() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"})
    if (const char* v = std::getenv(name); v && *v) return true;
  return false;
}

std::unique_ptr<Communicator> connect(double timeoutSeconds) {
  if (timeoutSeconds < 0) throw UsageError("--comm-timeout must not be negative");
  if (!launchedByMpirun()) return singleProcess();
  return std::make_unique<MpiCommunicator>(timeoutSeconds);
}

}  // namespace shoal::dist
