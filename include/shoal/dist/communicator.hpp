// Communicator: what data-parallel training needs from the processes of a job (rank, size, collectives).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "shoal/error.hpp"
#include "shoal/tensor/bfloat16.hpp"

namespace shoal::dist {

enum class ReduceOp { Sum, Max, Min };

// a op b: the step of an all-reduce that combines the ranks' values in rank order.
template <class T>
T combine(T a, T b, ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum: return a + b;
    case ReduceOp::Max: return a < b ? b : a;
    case ReduceOp::Min: return b < a ? b : a;
  }
  return a;
}

// Whether gradient all-reduces of a job whose ranks span several machines go through one leader
// rank per machine (the others combine with it in shared memory): Auto when some machine runs
// more than one rank.
enum class Hierarchy { Auto, On, Off };

// Time spent in collectives and the bytes this rank sent for them, since the start.
struct CommStats {
  double seconds = 0;      // in collectives, waiting included
  double waitSeconds = 0;  // of which waiting for slower ranks to arrive
  // estimated: a ring all-reduce of B bytes sends 2 (p-1)/p B per rank; a shared-memory one
  // reads (p-1)/p B of the other ranks' memory and writes as much into it
  double bytesSent = 0;
  int64_t collectives = 0;
};

// Modules and the trainer talk to other ranks only through this interface. Every collective
// must be called by all ranks in the same order. A rank that waits longer than the communicator's
// timeout for the others to arrive at a collective ends the whole job, naming the missing ranks.
class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Ranks of this job on this machine (threads per rank default to cores / localSize()).
  virtual int localSize() const = 0;

  // Element-wise reduction in place; every rank ends with the same values.
  virtual void allReduce(std::span<float> data, ReduceOp op) = 0;
  virtual void allReduce(std::span<double> data, ReduceOp op) = 0;
  // Sum of bf16 values in place (accumulated in float, rounded to bf16 once per hop); every rank ends with identical values.
  virtual void allReduceBf16(std::span<bfloat16> data) = 0;
  // Every rank's bytes, concatenated in rank order into caller-owned memory: `lengths` (one
  // entry per rank) receives how many bytes each rank gave, `gathered` must hold their sum
  // (UsageError on every rank when it does not, before anything is gathered). A caller that
  // keeps both between calls makes the collective allocate nothing of shoal's.
  virtual void allGatherBytesInto(std::span<const std::byte> data, std::span<std::byte> gathered,
                                  std::span<int64_t> lengths) = 0;
  // Every rank's bytes, indexed by rank; lengths may differ between ranks (allocates: for
  // seldom, small exchanges; two collectives, the lengths first).
  std::vector<std::vector<std::byte>> allGatherBytes(std::span<const std::byte> data) {
    std::vector<int64_t> lengths = allGather(static_cast<int64_t>(data.size()));
    int64_t total = 0;
    for (int64_t n : lengths) total += n;
    std::vector<std::byte> gathered(static_cast<size_t>(total));
    allGatherBytesInto(data, gathered, lengths);
    std::vector<std::vector<std::byte>> all;
    auto at = gathered.begin();
    for (int64_t n : lengths) {
      all.emplace_back(at, at + n);
      at += n;
    }
    return all;
  }
  // `root`'s values to every rank.
  virtual void broadcast(std::span<float> data, int root) = 0;
  // One value from every rank, indexed by rank.
  virtual std::vector<int64_t> allGather(int64_t value) = 0;
  // Every rank's text, indexed by rank (vocabularies, names: small, seldom).
  std::vector<std::string> allGatherStrings(const std::string& text) {
    std::vector<std::string> all;
    for (const std::vector<std::byte>& bytes : allGatherBytes(std::as_bytes(std::span(text))))
      all.emplace_back(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return all;
  }
  virtual void barrier() = 0;
  // Memory for `count` floats (64-byte aligned) that allReduce(Sum) reduces in place without
  // messages, shared with the other ranks when all run on one machine; null when there is no
  // such memory (a single process, ranks on several machines). Collective, with the same count
  // on every rank; a later call may reuse or free the memory of an earlier one, which lives at
  // most as long as the communicator.
  virtual float* reducibleMemory(int64_t count) { return nullptr; }
  // How an all-reduce of reducibleMemory travels, for the log ("shared memory", "hierarchical:
  // ..."); empty in a single process.
  virtual std::string gradientRoute() const { return ""; }
  // Ends every process of the job with `exitCode` (after this rank printed why).
  [[noreturn]] virtual void abort(int exitCode) = 0;

  const CommStats& stats() const { return stats_; }

 protected:
  // allGatherBytesInto's checks: one length per rank (before the collective), and room for
  // every rank's bytes (once the lengths are known: the same on every rank).
  void requireOneLengthPerRank(std::span<const int64_t> lengths) const {
    if (lengths.size() != static_cast<size_t>(size()))
      throw UsageError("allGatherBytesInto: " + std::to_string(lengths.size()) + " lengths for " +
                       std::to_string(size()) + " ranks");
  }
  // allGatherBytesInto's check, once every rank's length is known (the same on every rank).
  static void requireRoom(std::span<const int64_t> lengths, size_t gatheredBytes) {
    int64_t total = 0;
    for (int64_t n : lengths) total += n;
    if (total > static_cast<int64_t>(gatheredBytes))
      throw UsageError("allGatherBytesInto: the ranks gave " + std::to_string(total) +
                       " bytes, the buffer holds " + std::to_string(gatheredBytes));
  }

  CommStats stats_;
};

// True when this process was started by mpirun (Open MPI's or any PMI-based launcher).
bool launchedByMpirun();
// An MPI communicator over all ranks when launched by mpirun, else a single-process one.
// `timeoutSeconds` bounds every collective (0: wait forever). With `sharedMemory`, ranks that all
// run on one machine reduce through shared memory (reducibleMemory, small all-reduces, barriers)
// instead of messages; the job uses it only when every rank asks for it. `timeoutName` is what
// messages call the timeout setting ("waited 3 s (NAME) for the other ranks ..."). With ranks on
// several machines and shared memory on, `hierarchy` decides whether gradients are reduced per
// machine first (see Hierarchy).
std::unique_ptr<Communicator> connect(double timeoutSeconds, bool sharedMemory = true,
                                      const std::string& timeoutName = "\"dist.comm_timeout\"",
                                      Hierarchy hierarchy = Hierarchy::Auto);
// The single-process communicator: rank 0 of 1, collectives return their input.
std::unique_ptr<Communicator> singleProcess();

}  // namespace shoal::dist
