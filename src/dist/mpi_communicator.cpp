// The Open MPI communicator: before each collective the ranks tell each other they arrived, and
// that wait has a deadline, so a stalled rank ends the job with a message naming it. When all
// ranks run on one machine, all-reduces of the gradient buffer and of small values go through
// shared memory (SharedMemoryReducer) instead of messages.
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <thread>

#include "shared_memory_reducer.hpp"
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

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator(double timeoutSeconds, bool sharedMemory, std::string timeoutName)
      : timeout_(timeoutSeconds), timeoutName_(std::move(timeoutName)) {
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
    MPI_Comm_split_type(collectives_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local_);
    MPI_Comm_size(local_, &localSize_);
    int wanted = sharedMemory && localSize_ == size_ && size_ > 1, everyone = 0;
    MPI_Allreduce(&wanted, &everyone, 1, MPI_INT, MPI_MIN, collectives_);
    if (everyone) sharedMemory_ = SharedMemoryReducer::create(local_);
    arrivedIn_.assign(size_, 0);
    arrivalRequests_.assign(2 * size_, MPI_REQUEST_NULL);
  }

  ~MpiCommunicator() override {
    sharedMemory_.reset();
    MPI_Comm_free(&local_);
    MPI_Comm_free(&arrivals_);
    MPI_Comm_free(&collectives_);
    if (ownsMpi_) MPI_Finalize();
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int localSize() const override { return localSize_; }

  float* reducibleMemory(int64_t count) override {
    return sharedMemory_ ? sharedMemory_->buffer(count) : nullptr;
  }

  void allReduce(std::span<float> data, ReduceOp op) override {
    if (sharedMemory_ && op == ReduceOp::Sum && sharedMemory_->holds(data))
      return runShared("an all-reduce of floats", data.size(), ringBytes(data.size_bytes()),
                       [&](Clock::time_point begin) {
                         sharedMemory_->sumSlice(data);
                         awaitShared("an all-reduce of floats", data.size(), begin);
                       });
    if (fitsScratch(data)) return reduceSmall(data, op, "an all-reduce of floats");
    run("an all-reduce of floats", data.size(), ringBytes(data.size_bytes()),
        [&] {
          MPI_Allreduce(MPI_IN_PLACE, data.data(), static_cast<int>(data.size()), MPI_FLOAT,
                        toMpi(op), collectives_);
        });
  }

  void allReduce(std::span<double> data, ReduceOp op) override {
    if (fitsScratch(data)) return reduceSmall(data, op, "an all-reduce of doubles");
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

  std::vector<std::string> allGatherBytes(const std::string& bytes) override {
    const std::vector<int64_t> sizes = allGather(static_cast<int64_t>(bytes.size()));
    std::vector<int> counts(size_), offsets(size_);
    int64_t total = 0;
    for (int r = 0; r < size_; ++r) {
      if (total + sizes[r] > std::numeric_limits<int>::max())
        throw UsageError("an all-gather of more than 2 GiB of bytes");
      counts[r] = static_cast<int>(sizes[r]);
      offsets[r] = static_cast<int>(total);
      total += sizes[r];
    }
    std::string all(static_cast<size_t>(total), '\0');
    run("an all-gather of bytes", 1, static_cast<double>(bytes.size()) * (size_ - 1), [&] {
      MPI_Allgatherv(bytes.data(), counts[rank_], MPI_CHAR, all.data(), counts.data(), offsets.data(), MPI_CHAR,
                     collectives_);
    });
    std::vector<std::string> out;
    for (int r = 0; r < size_; ++r) out.push_back(all.substr(static_cast<size_t>(offsets[r]), static_cast<size_t>(counts[r])));
    return out;
  }

  void barrier() override {
    // the arrival is the barrier
    if (sharedMemory_) return runShared("a barrier", 0, 0, [](Clock::time_point) {});
    run("a barrier", 0, 0, [] {});
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

  template <class T>
  bool fitsScratch(std::span<T> data) const {
    return sharedMemory_ && data.size_bytes() <= SharedMemoryReducer::kSmallBytes;
  }

  template <class T>
  void reduceSmall(std::span<T> data, ReduceOp op, const char* what) {
    sharedMemory_->publish(std::span<const T>(data));
    runShared(what, data.size(), static_cast<double>(data.size_bytes()) * (size_ - 1),
              [&](Clock::time_point) { sharedMemory_->combinePublished(data, op); });
  }

  // Collective number `sequence_` through shared memory: every rank arrives within the
  // deadline, then `work` runs (which may wait for the others again through awaitShared).
  template <class Work>
  void runShared(const char* what, size_t count, double bytes, Work work) {
    auto begin = Clock::now();
    ++sequence_;
    awaitShared(what, count, begin);
    auto everyone = Clock::now();
    work(begin);
    record(begin, everyone, bytes);
  }

  void awaitShared(const char* what, size_t count, Clock::time_point begin) {
    if (!sharedMemory_->arrive(timeout_, begin))
      reportTimeout(what, count, "rank " + sharedMemory_->missingRanks() +
                                     " did not arrive (stalled or dead)");
  }

  void record(Clock::time_point begin, Clock::time_point everyone, double bytes) {
    auto end = Clock::now();
    stats_.waitSeconds += std::chrono::duration<double>(everyone - begin).count();
    stats_.seconds += std::chrono::duration<double>(end - begin).count();
    stats_.bytesSent += bytes;
    ++stats_.collectives;
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
    record(begin, everyone, bytes);
  }

  void waitFor(MPI_Request& request, const char* what, size_t count, Clock::time_point begin) {
    for (int polls = 0;; ++polls) {
      int done = 0;
      MPI_Test(&request, &done, MPI_STATUS_IGNORE);
      if (done) return;
      if (polls > 10000) {
        double waited = std::chrono::duration<double>(Clock::now() - begin).count();
        if (timeout_ > 0 && waited > timeout_) reportTimeout(what, count, missingArrivals());
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
    }
  }

  std::string missingArrivals() {
    std::string missing;
    for (int peer = 0; peer < size_; ++peer) {
      if (peer == rank_) continue;
      int done = 0;
      MPI_Test(&arrivalRequests_[2 * peer + 1], &done, MPI_STATUS_IGNORE);
      if (!done) missing += (missing.empty() ? "" : ", ") + std::to_string(peer);
    }
    return missing.empty() ? "every rank arrived but the messages did not complete"
                           : "rank " + missing + " did not arrive (stalled or dead)";
  }

  [[noreturn]] void reportTimeout(const char* what, size_t count, const std::string& cause) {
    std::fprintf(stderr,
                 "shoal: error: rank %d: waited %g s (%s) for the other ranks at "
                 "collective #%lld (%s, %zu values): %s\n",
                 rank_, timeout_, timeoutName_.c_str(), static_cast<long long>(sequence_), what, count, cause.c_str());
    abort(1);
  }

  double timeout_;
  std::string timeoutName_;
  bool ownsMpi_ = false;
  MPI_Comm collectives_ = MPI_COMM_NULL;
  MPI_Comm arrivals_ = MPI_COMM_NULL;
  MPI_Comm local_ = MPI_COMM_NULL;  // the ranks on this machine
  std::unique_ptr<SharedMemoryReducer> sharedMemory_;  // when they are all the ranks
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

std::unique_ptr<Communicator> connect(double timeoutSeconds, bool sharedMemory, const std::string& timeoutName) {
  if (timeoutSeconds < 0) throw ConfigError("dist.comm_timeout", timeoutName + " must not be negative");
  if (!launchedByMpirun()) return singleProcess();
  return std::make_unique<MpiCommunicator>(timeoutSeconds, sharedMemory, timeoutName);
}

}  // namespace shoal::dist
