// The Open MPI communicator: before each collective the ranks tell each other they arrived, and
// that wait has a deadline, so a stalled rank ends the job with a message naming it (an all-gather
// of one value per rank, and of a few bytes per rank, travels inside those messages). When all
// ranks run on one machine, all-reduces of the gradient buffer and of small values go through
// shared memory (SharedMemoryReducer) instead of messages; when they span several machines with
// more than one rank on some, the gradient buffer is reduced hierarchically: in shared memory on
// each machine, then between one leader rank per machine, then shared back through memory. bf16
// sums run a ring of MPI point-to-point messages of this file's own, so every rank gets the same bits.
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <thread>

#include "mpi_shared_segments.hpp"
#include "shared_memory_reducer.hpp"
#include "transfer_watch.hpp"
#include "shoal/backend/vector_kernels.hpp"
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

int sumOver(MPI_Comm comm, int value, MPI_Op op) {
  int result = 0;
  MPI_Allreduce(&value, &result, 1, MPI_INT, op, comm);
  return result;
}

// Open MPI's MPI_Init tries its UCX and libfabric messaging layers before it settles on ob1 (its
// shared-memory and TCP one) for ranks on one host, about 0.2 s of every rank's start here. When
// mpirun says every rank is on this host and nothing chose the layer (OMPI_MCA_pml, which
// `mpirun --mca pml X` also sets), ob1 is chosen at once; shoal's reductions on one host go
// through its own shared memory anyway.
void chooseOb1OnOneHost() {
  const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
  const char* world = std::getenv("OMPI_COMM_WORLD_SIZE");
  if (local && world && std::strcmp(local, world) == 0 && !std::getenv("OMPI_MCA_pml"))
    ::setenv("OMPI_MCA_pml", "ob1", 0);
}

class MpiCommunicator final : public Communicator {
 public:
  // The communicator of the whole job (MPI_COMM_WORLD; initialises MPI when needed).
  MpiCommunicator(double timeoutSeconds, bool sharedMemory, Hierarchy hierarchy, std::string timeoutName)
      : timeout_(timeoutSeconds), timeoutName_(std::move(timeoutName)) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      // serialized: overlapped gradient reduction makes its collectives on a thread of its own
      // (one thread at a time, never two at once)
      int provided = 0;
      chooseOb1OnOneHost();
      MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
      ownsMpi_ = true;
    }
    join(MPI_COMM_WORLD);
    MPI_Comm_split_type(collectives_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local_);
    MPI_Comm_size(local_, &localSize_);
    localJobRanks_ = jobRanksOf(local_);
    int localRank = 0;
    MPI_Comm_rank(local_, &localRank);
    hosts_ = sumOver(collectives_, localRank == 0, MPI_SUM);
    const bool everyoneWants = sumOver(collectives_, sharedMemory, MPI_MIN) != 0;
    if (!everyoneWants || size_ == 1) return;
    if (hosts_ == 1) {
      sharedMemory_ = SharedMemoryReducer::create(mpiSharedSegments(local_));
    } else if (hierarchy == Hierarchy::On ||
               (hierarchy == Hierarchy::Auto && sumOver(collectives_, localSize_, MPI_MAX) > 1)) {
      splitByHost(localRank, timeoutSeconds);
    }
  }

  ~MpiCommunicator() override {
    leaders_.reset();
    sharedMemory_.reset();
    if (local_ != MPI_COMM_NULL) MPI_Comm_free(&local_);
    MPI_Comm_free(&arrivals_);
    MPI_Comm_free(&collectives_);
    if (ownsMpi_) MPI_Finalize();
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int localSize() const override { return localSize_; }

  float* reducibleMemory(int64_t count) override {
    if (!sharedMemory_) return nullptr;
    float* memory = sharedMemory_->buffer(count);
    // across hosts each host's windows come on their own: shared memory only when every host has it
    if (hierarchical() && sumOver(collectives_, memory != nullptr, MPI_MIN) == 0) return nullptr;
    return memory;
  }

  std::string gradientRoute() const override {
    if (hierarchical())
      return "hierarchical: shared memory within each of " + std::to_string(hosts_) +
             " hosts, Open MPI between one leader per host";
    if (sharedMemory_) return "shared memory (every rank on one host)";
    return size_ > 1 ? "Open MPI messages" : "";
  }

  void allReduce(std::span<float> data, ReduceOp op) override {
    if (hierarchical() && op == ReduceOp::Sum && sharedMemory_->holds(data)) return reduceAcrossHosts(data);
    if (sharedMemory_ && op == ReduceOp::Sum && sharedMemory_->holds(data))
      return runShared("an all-reduce of floats", data.size(), ringBytes(data.size_bytes()),
                       [&](Clock::time_point begin) {
                         sharedMemory_->sumSlice(data);
                         awaitShared("an all-reduce of floats", data.size(), begin);
                       });
    if (fitsScratch(data)) return reduceSmall(data, op, "an all-reduce of floats");
    if (data.size_bytes() <= kCarriedReduceBytes) return reduceCarried(data, op, "an all-reduce of floats");
    if (size_ == 2 && op == ReduceOp::Sum) return sumWithPartner(data, "an all-reduce of floats");
    run("an all-reduce of floats", data.size(), ringBytes(data.size_bytes()),
        [&] {
          MPI_Allreduce(MPI_IN_PLACE, data.data(), static_cast<int>(data.size()), MPI_FLOAT,
                        toMpi(op), collectives_);
        });
  }

  void allReduce(std::span<double> data, ReduceOp op) override {
    if (fitsScratch(data)) return reduceSmall(data, op, "an all-reduce of doubles");
    if (data.size_bytes() <= kCarriedReduceBytes) return reduceCarried(data, op, "an all-reduce of doubles");
    if (size_ == 2 && op == ReduceOp::Sum) return sumWithPartner(data, "an all-reduce of doubles");
    run("an all-reduce of doubles", data.size(), ringBytes(data.size_bytes()),
        [&] {
          MPI_Allreduce(MPI_IN_PLACE, data.data(), static_cast<int>(data.size()), MPI_DOUBLE,
                        toMpi(op), collectives_);
        });
  }

  // A ring over the ranks: reduce-scatter, then all-gather, in p - 1 hops each. Chunk c of p
  // (near-equal, in order) is summed along the ring from rank c: ((x_c + x_c+1) + x_c+2) ...,
  // each addition in float and rounded to bf16 (for 2 ranks: bf16(x_0 + x_1) exactly); the
  // all-gather then copies the finished chunks, so every rank holds the same bits.
  void allReduceBf16(std::span<bfloat16> data) override {
    if (size_ == 1 || data.empty()) return;
    run("an all-reduce of bf16 values", data.size(), ringBytes(data.size_bytes()), [&] {
      const int64_t n = static_cast<int64_t>(data.size());
      auto chunkBegin = [&](int c) { return n * c / size_; };
      auto chunk = [&](int c) {
        c = ((c % size_) + size_) % size_;
        return data.subspan(chunkBegin(c), chunkBegin(c + 1) - chunkBegin(c));
      };
      ringScratch_.resize(static_cast<size_t>(n / size_ + 1));
      const int right = (rank_ + 1) % size_, left = (rank_ + size_ - 1) % size_;
      for (int hop = 0; hop < size_ - 1; ++hop) {
        std::span<bfloat16> out = chunk(rank_ - hop), in = chunk(rank_ - hop - 1);
        MPI_Sendrecv(out.data(), static_cast<int>(out.size_bytes()), MPI_BYTE, right, kRingTag,
                     ringScratch_.data(), static_cast<int>(in.size_bytes()), MPI_BYTE, left,
                     kRingTag, collectives_, MPI_STATUS_IGNORE);
        backend::addBf16(ringScratch_.data(), in.data(), in.data(), static_cast<int64_t>(in.size()));
      }
      for (int hop = 0; hop < size_ - 1; ++hop) {
        std::span<bfloat16> out = chunk(rank_ + 1 - hop), in = chunk(rank_ - hop);
        MPI_Sendrecv(out.data(), static_cast<int>(out.size_bytes()), MPI_BYTE, right, kRingTag,
                     in.data(), static_cast<int>(in.size_bytes()), MPI_BYTE, left, kRingTag,
                     collectives_, MPI_STATUS_IGNORE);
      }
    });
  }

  // Two ranks: each sends its whole buffer to the other in one exchange (both directions of the
  // link busy at once) and adds what it received: x_0 + x_1 on one, x_1 + x_0 on the other, the
  // same bits. Between two simulated hosts at 1 Gbit/s, Open MPI's own all-reduce of 3.18 MB took
  // 26 ms in some runs and a median of 30-38 ms in others (its ring variants; its recursive
  // doubling, which is this exchange, 26 ms in every run). bf16 keeps its ring, which adds only
  // half the buffer on each rank: with one exchange, MLP training with bf16 compression at
  // 10 Gbit/s was 3-8% slower.
  template <class T>
  void sumWithPartner(std::span<T> data, const char* what) {
    run(what, data.size(), static_cast<double>(data.size_bytes()), [&] {
      partnerScratch_.resize(std::max(partnerScratch_.size(), data.size_bytes()));
      const int partner = 1 - rank_;
      MPI_Sendrecv(data.data(), static_cast<int>(data.size_bytes()), MPI_BYTE, partner, kRingTag,
                   partnerScratch_.data(), static_cast<int>(data.size_bytes()), MPI_BYTE, partner,
                   kRingTag, collectives_, MPI_STATUS_IGNORE);
      const T* theirs = reinterpret_cast<const T*>(partnerScratch_.data());
      const auto n = static_cast<int64_t>(data.size());
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) data[static_cast<size_t>(i)] += theirs[i];
    });
  }

  // An all-reduce of at most kCarriedReduceBytes inside the arrival messages (one message to each
  // peer, where an arrival then the exchange took two rounds): every rank combines every rank's
  // values in rank order, so every rank gets the same bits. Each step's loss and sample totals
  // go this way.
  // This rank's values are read back from its own arrival message, written before `data` is.
  template <class T>
  void reduceCarried(std::span<T> data, ReduceOp op, const char* what) {
    runCarrying(what, std::as_bytes(std::span<const T>(data)), static_cast<double>(data.size_bytes()) * (size_ - 1),
                [&] {
                  auto valueOf = [&](int q, size_t i) {
                    const std::byte* carried = q == rank_ ? carryOut_.data() + sizeof(Arrival) : carriedIn(q);
                    T value;
                    std::memcpy(&value, carried + i * sizeof(T), sizeof(T));
                    return value;
                  };
                  for (size_t i = 0; i < data.size(); ++i) {
                    T value = valueOf(0, i);
                    for (int q = 1; q < size_; ++q) value = combine(value, valueOf(q, i), op);
                    data[i] = value;
                  }
                });
  }

  // A rank's bytes of at most kCarriedBytes travel inside its arrival messages: when every
  // rank's do, the gather is complete once everyone arrived (one message to each peer, where an
  // arrival then MPI_Allgatherv took two rounds); otherwise MPI_Allgatherv follows as before.
  void allGatherBytesInto(std::span<const std::byte> data, std::span<std::byte> gathered,
                          std::span<int64_t> lengths) override {
    requireOneLengthPerRank(lengths);
    if (data.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
      throw UsageError("allGatherBytes: " + std::to_string(data.size()) + " bytes, at most " +
                       std::to_string(std::numeric_limits<int>::max()) + " per rank");
    int64_t total = 0;
    runCarrying("an all-gather of bytes", data, static_cast<double>(data.size()) * (size_ - 1), [&] {
      const int length = static_cast<int>(data.size());
      bool allCarried = true;
      for (int q = 0; q < size_; ++q) {  // the lengths came with the arrival
        lengths[q] = q == rank_ ? length : arrivedIn_[q].value;
        gatherLengths_[q] = static_cast<int>(lengths[q]);
        gatherOffsets_[q] = static_cast<int>(std::min<int64_t>(total, std::numeric_limits<int>::max()));
        total += gatherLengths_[q];
        allCarried = allCarried && lengths[q] <= static_cast<int64_t>(kCarriedBytes);
      }
      // every rank sees the same lengths: all gather, or all refuse after the collective
      if (total > std::numeric_limits<int>::max() || total > static_cast<int64_t>(gathered.size())) return;
      if (!allCarried) {
        MPI_Allgatherv(data.data(), length, MPI_BYTE, gathered.data(), gatherLengths_.data(),
                       gatherOffsets_.data(), MPI_BYTE, collectives_);
        return;
      }
      for (int q = 0; q < size_; ++q) {
        const std::byte* from = q == rank_ ? data.data() : carriedIn(q);
        if (gatherLengths_[q] > 0) std::memcpy(gathered.data() + gatherOffsets_[q], from, gatherLengths_[q]);
      }
    });
    requireRoom(lengths, gathered.size());
    if (total > std::numeric_limits<int>::max())
      throw UsageError("allGatherBytes: " + std::to_string(total) + " bytes from all ranks, at most " +
                       std::to_string(std::numeric_limits<int>::max()));
  }

  void broadcast(std::span<float> data, int root) override {
    run("a broadcast of floats", data.size(), rank_ == root ? data.size_bytes() : 0,
        [&] { MPI_Bcast(data.data(), static_cast<int>(data.size()), MPI_FLOAT, root, collectives_); });
  }

  std::vector<int64_t> allGather(int64_t value) override {
    std::vector<int64_t> all(size_);
    run("an all-gather of values", 1, static_cast<double>(sizeof value) * (size_ - 1), [&] {
      for (int q = 0; q < size_; ++q) all[q] = q == rank_ ? value : arrivedIn_[q].value;  // came with the arrival
    }, value);
    return all;
  }

  void barrier() override {
    // the arrival is the barrier
    if (sharedMemory_ && !hierarchical()) return runShared("a barrier", 0, 0, [](Clock::time_point) {});
    run("a barrier", 0, 0, [] {});
  }

  [[noreturn]] void abort(int exitCode) override {
    std::fflush(stdout);
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, exitCode);
    std::_Exit(exitCode);
  }

 private:
  // The communicator of a subset of the job's ranks (`base`, duplicated), which names its ranks
  // in messages by their ranks in the job.
  MpiCommunicator(MPI_Comm base, double timeoutSeconds, std::string timeoutName)
      : timeout_(timeoutSeconds), timeoutName_(std::move(timeoutName)) {
    join(base);
  }

  void join(MPI_Comm base) {
    MPI_Comm_dup(base, &collectives_);
    MPI_Comm_dup(base, &arrivals_);
    MPI_Comm_rank(collectives_, &rank_);
    MPI_Comm_size(collectives_, &size_);
    jobRanks_ = jobRanksOf(collectives_);
    std::vector<int> peers;
    for (int r = 0; r < size_; ++r)
      if (r != rank_) peers.push_back(jobRanks_[r]);
    transferWatch_ = std::make_unique<TransferWatch>(jobRanks_[rank_], peers, timeout_, timeoutName_);
    arrivedIn_.assign(size_, Arrival{});
    arrivalRequests_.assign(2 * size_, MPI_REQUEST_NULL);
    gatherLengths_.assign(size_, 0);
    gatherOffsets_.assign(size_, 0);
    carryOut_.resize(kCarryMessageBytes);
    carryIn_.resize(kCarryMessageBytes * static_cast<size_t>(size_));
  }

  // Rank r of `comm` is rank result[r] of the job.
  static std::vector<int> jobRanksOf(MPI_Comm comm) {
    MPI_Group group, world;
    MPI_Comm_group(comm, &group);
    MPI_Comm_group(MPI_COMM_WORLD, &world);
    int size = 0;
    MPI_Group_size(group, &size);
    std::vector<int> ranks(size), jobRanks(size);
    for (int r = 0; r < size; ++r) ranks[r] = r;
    MPI_Group_translate_ranks(group, size, ranks.data(), world, jobRanks.data());
    MPI_Group_free(&group);
    MPI_Group_free(&world);
    return jobRanks;
  }

  // Shared memory among the ranks of this host and, on its leader (local rank 0), a
  // communicator of the hosts' leaders. The leaders wait a little longer than the ranks of a
  // host, so that when a rank stalls, its own host's leader names it first.
  void splitByHost(int localRank, double timeoutSeconds) {
    sharedMemory_ = SharedMemoryReducer::create(mpiSharedSegments(local_));
    if (sumOver(collectives_, sharedMemory_ != nullptr, MPI_MIN) == 0) {
      sharedMemory_.reset();
      return;
    }
    MPI_Comm leaders = MPI_COMM_NULL;
    MPI_Comm_split(collectives_, localRank == 0 ? 0 : MPI_UNDEFINED, rank_, &leaders);
    if (leaders != MPI_COMM_NULL) {
      leaders_.reset(new MpiCommunicator(leaders, timeoutSeconds * kLeaderPatience, timeoutName_));
      MPI_Comm_free(&leaders);
    }
  }

  bool hierarchical() const { return hosts_ > 1 && sharedMemory_ != nullptr; }

  // The sum of a range of the gradient buffer over all ranks: summed within the host through
  // shared memory, then over the hosts by their leaders (identical bits on every leader), then
  // copied from the leader's buffer by the host's other ranks.
  void reduceAcrossHosts(std::span<float> data) {
    const double local = (localSize_ - 1.0) / localSize_ * static_cast<double>(data.size_bytes());
    const double across = leaders_ ? 2.0 * (hosts_ - 1) / hosts_ * static_cast<double>(data.size_bytes()) : 0;
    runShared("an all-reduce of floats", data.size(), 2 * local + across, [&](Clock::time_point begin) {
      sharedMemory_->sumSlice(data);
      awaitShared("an all-reduce of floats", data.size(), begin);
      if (leaders_) leaders_->allReduce(data, ReduceOp::Sum);
      // the others wait for the leader's exchange, which has its own (longer) deadline
      awaitShared("an all-reduce of floats", data.size(), Clock::now(), 2 * kLeaderPatience);
      if (!leaders_) sharedMemory_->copyFrom(0, data);
      awaitShared("an all-reduce of floats", data.size(), Clock::now());  // the leader's buffer is read
    });
  }

  double ringBytes(size_t bytes) const {
    return 2.0 * (size_ - 1) / size_ * static_cast<double>(bytes);
  }

  template <class T>
  bool fitsScratch(std::span<T> data) const {
    return sharedMemory_ && !hierarchical() && data.size_bytes() <= SharedMemoryReducer::kSmallBytes;
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

  // Every rank sharing memory with this one arrives within `patience` x the timeout after `begin`.
  void awaitShared(const char* what, size_t count, Clock::time_point begin, double patience = 1) {
    if (!sharedMemory_->arrive(timeout_ * patience, begin))
      reportTimeout(what, count, "rank " + sharedMemory_->missingRanks(localJobRanks_) +
                                     " did not arrive (stalled or dead)");
  }

  void record(Clock::time_point begin, Clock::time_point everyone, double bytes) {
    auto end = Clock::now();
    stats_.waitSeconds += std::chrono::duration<double>(everyone - begin).count();
    stats_.seconds += std::chrono::duration<double>(end - begin).count();
    stats_.bytesSent += bytes;
    ++stats_.collectives;
  }

  // Collective number `sequence_`: every rank tells every peer it arrived, sending `value` along
  // (every peer's is in arrivedIn_ then), and waits for theirs within the deadline (the time
  // spent waiting for slower ranks), then `collective` runs with everyone present (the
  // transfer). `what` and `count` name it in a timeout message.
  template <class Collective>
  void run(const char* what, size_t count, double bytes, Collective collective, int64_t value = 0) {
    auto begin = Clock::now();
    arrivedOut_ = Arrival{++sequence_, value};
    exchangeArrivals(what, count, begin, std::as_bytes(std::span<const Arrival>(&arrivedOut_, 1)),
                     [&](int peer) { return reinterpret_cast<std::byte*>(&arrivedIn_[peer]); }, sizeof(Arrival));
    runArrived(what, count, bytes, begin, collective);
  }

  // run() for an all-gather of bytes: the arrival message is an Arrival (its value: the length
  // of `data`) followed by the first kCarriedBytes of `data`; every peer's lands at carriedIn(peer).
  template <class Collective>
  void runCarrying(const char* what, std::span<const std::byte> data, double bytes, Collective collective) {
    auto begin = Clock::now();
    const Arrival header{++sequence_, static_cast<int64_t>(data.size())};
    const size_t carried = std::min(data.size(), kCarriedBytes);
    std::memcpy(carryOut_.data(), &header, sizeof header);
    if (carried > 0) std::memcpy(carryOut_.data() + sizeof header, data.data(), carried);
    exchangeArrivals(what, data.size(), begin, std::span<const std::byte>(carryOut_.data(), sizeof header + carried),
                     [&](int peer) { return carriedIn(peer) - sizeof(Arrival); }, kCarryMessageBytes);
    for (int peer = 0; peer < size_; ++peer)
      if (peer != rank_) std::memcpy(&arrivedIn_[peer], carriedIn(peer) - sizeof(Arrival), sizeof(Arrival));
    runArrived(what, data.size(), bytes, begin, collective);
  }

  // Sends `out` (an Arrival, perhaps followed by carried bytes) to every peer and receives each
  // peer's, of at most `capacity` bytes, at in(peer); waits for all of them within the deadline.
  template <class In>
  void exchangeArrivals(const char* what, size_t count, Clock::time_point begin, std::span<const std::byte> out,
                        In in, size_t capacity) {
    for (int peer = 0; peer < size_; ++peer) {
      if (peer == rank_) continue;
      MPI_Isend(out.data(), static_cast<int>(out.size()), MPI_BYTE, peer, 0, arrivals_, &arrivalRequests_[2 * peer]);
      MPI_Irecv(in(peer), static_cast<int>(capacity), MPI_BYTE, peer, 0, arrivals_, &arrivalRequests_[2 * peer + 1]);
    }
    for (auto& r : arrivalRequests_) waitFor(r, what, count, begin);
  }

  // Once everyone arrived: the collective itself, watched for stalls, and its time recorded.
  template <class Collective>
  void runArrived(const char* what, size_t count, double bytes, Clock::time_point begin, Collective collective) {
    auto everyone = Clock::now();
    transferWatch_->start(sequence_, what, count);
    collective();
    transferWatch_->stop();
    record(begin, everyone, bytes);
  }

  // The bytes peer `q` carried in its last arrival message of an all-gather of bytes.
  std::byte* carriedIn(int q) { return carryIn_.data() + static_cast<size_t>(q) * kCarryMessageBytes + sizeof(Arrival); }

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
      if (!done) missing += (missing.empty() ? "" : ", ") + std::to_string(jobRanks_[peer]);
    }
    return missing.empty() ? "every rank arrived but the messages did not complete"
                           : "rank " + missing + " did not arrive (stalled or dead)";
  }

  [[noreturn]] void reportTimeout(const char* what, size_t count, const std::string& cause) {
    std::fprintf(stderr,
                 "shoal: error: rank %d: waited %g s (%s) for the other ranks at "
                 "collective #%lld (%s, %zu values): %s\n",
                 jobRanks_[rank_], timeout_, timeoutName_.c_str(), static_cast<long long>(sequence_), what, count, cause.c_str());
    abort(1);
  }

  static constexpr int kRingTag = 16;
  // The most bytes of an all-gather that travel inside a rank's arrival message: with the header,
  // below Open MPI's TCP eager limit (64 KiB), so the message goes at once without a rendezvous.
  // Threshold codes of a 1 MB bucket at 1% density take about 10 KB.
  static constexpr size_t kCarriedBytes = 48 * 1024;
  // The largest all-reduce that travels inside the arrival messages.
  static constexpr size_t kCarriedReduceBytes = 256;
  // The leaders' deadline, as a multiple of the timeout.
  static constexpr double kLeaderPatience = 1.25;

  double timeout_;
  std::string timeoutName_;
  std::vector<bfloat16> ringScratch_;  // the chunk a bf16 ring hop receives
  std::vector<std::byte> partnerScratch_;  // the partner's buffer, with two ranks
  std::vector<int> gatherLengths_, gatherOffsets_;  // an all-gather of bytes: per rank, MPI's ints
  bool ownsMpi_ = false;
  MPI_Comm collectives_ = MPI_COMM_NULL;
  MPI_Comm arrivals_ = MPI_COMM_NULL;
  MPI_Comm local_ = MPI_COMM_NULL;  // the ranks on this machine
  // Through shared memory among the ranks on this machine: every collective when they are all
  // the ranks, the gradient all-reduce when they are not (hierarchical()).
  std::unique_ptr<SharedMemoryReducer> sharedMemory_;
  // on a host's leader, when hierarchical: the hosts' leaders (any communicator can fill this role)
  std::unique_ptr<Communicator> leaders_;
  std::vector<int> jobRanks_;                 // rank r of this communicator is rank jobRanks_[r] of the job
  std::vector<int> localJobRanks_;            // the same for the ranks on this machine
  std::unique_ptr<TransferWatch> transferWatch_;  // the deadline of a transfer once everyone arrived
  int rank_ = 0, size_ = 1, localSize_ = 1, hosts_ = 1;
  int64_t sequence_ = 0;
  // An arrival message: the collective's number and a value that travels with it (an
  // all-gather's value, an all-gather of bytes' length), so those need no collective of their own.
  struct Arrival {
    int64_t sequence = 0;
    int64_t value = 0;
  };
  static_assert(sizeof(Arrival) == 2 * sizeof(int64_t));
  Arrival arrivedOut_;
  std::vector<Arrival> arrivedIn_;
  std::vector<MPI_Request> arrivalRequests_;
  static constexpr size_t kCarryMessageBytes = sizeof(Arrival) + kCarriedBytes;
  std::vector<std::byte> carryOut_;  // this rank's arrival message of an all-gather of bytes
  std::vector<std::byte> carryIn_;   // every peer's, kCarryMessageBytes apart
};

}  // namespace

bool launchedByMpirun() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"})
    if (const char* v = std::getenv(name); v && *v) return true;
  return false;
}

std::unique_ptr<Communicator> connect(double timeoutSeconds, bool sharedMemory, const std::string& timeoutName,
                                      Hierarchy hierarchy) {
  if (timeoutSeconds < 0) throw ConfigError("dist.comm_timeout", timeoutName + " must not be negative");
  if (!launchedByMpirun()) return singleProcess();
  return std::make_unique<MpiCommunicator>(timeoutSeconds, sharedMemory, hierarchy, timeoutName);
}

}  // namespace shoal::dist
