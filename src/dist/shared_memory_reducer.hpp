// Collectives through memory that the ranks of one machine share: arrival counters, small
// reductions in a scratch area, and a gradient buffer that every rank sums in place.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "shared_segments.hpp"
#include "shoal/dist/communicator.hpp"

namespace shoal::dist {

// Over the ranks of one machine. Every rank owns a control block (an arrival counter and a
// double-buffered scratch area) and, once buffer() was called, a data buffer; every rank reads
// and writes the others' through shared segments (Open MPI's windows or POSIX shared memory),
// so a reduction is loads and stores, without the copies into and out of message buffers.
// Every call is collective: all ranks make the same calls in the same order.
class SharedMemoryReducer {
 public:
  using Clock = std::chrono::steady_clock;
  // The most bytes a small reduction carries (it goes through the scratch area).
  static constexpr size_t kSmallBytes = 256;

  // Null on every rank when the segments cannot be had on some rank (the caller then keeps to
  // messages).
  static std::unique_ptr<SharedMemoryReducer> create(std::unique_ptr<SharedSegments> segments);
  ~SharedMemoryReducer();
  SharedMemoryReducer(const SharedMemoryReducer&) = delete;
  SharedMemoryReducer& operator=(const SharedMemoryReducer&) = delete;

  // This rank's data buffer of at least `count` floats (64-byte aligned); the memory of the last
  // call when that is large enough, else new memory (the old one is freed). Null when the
  // shared segments cannot be had on some rank.
  float* buffer(int64_t count);
  // True when `data` lies inside this rank's data buffer.
  bool holds(std::span<const float> data) const;

  // Waits until every rank arrived here, or until `timeoutSeconds` after `begin` (0: forever);
  // false on timeout, with the ranks that did not arrive in missingRanks().
  bool arrive(double timeoutSeconds, Clock::time_point begin);
  // The ranks that did not arrive, as "2, 3": `names[q]` for rank q of this machine's ranks
  // (their ranks in the whole job).
  std::string missingRanks(std::span<const int> names) const;

  // A small reduction: publish() before arrive(), then combinePublished() gives the element-wise
  // reduction over ranks, taken in rank order so every rank gets the same bits.
  // `data.size_bytes()` <= kSmallBytes.
  template <class T>
  void publish(std::span<const T> data);
  template <class T>
  void combinePublished(std::span<T> data, ReduceOp op) const;

  // The sum over ranks of `data`, a range of the data buffers at the same offset on every rank:
  // between two arrive() calls, each rank sums its slice of the range over all buffers and
  // stores the sums in all of them, so after the second every buffer holds the whole sum.
  void sumSlice(std::span<float> data);
  // Copies the same range of `rank`'s data buffer into `data` (a range of this rank's buffer);
  // the caller keeps `rank` from writing it meanwhile (an arrive() before and after).
  void copyFrom(int rank, std::span<float> data) const;

 private:
  struct ControlBlock;
  SharedMemoryReducer(std::unique_ptr<SharedSegments> segments, std::unique_ptr<SharedSegments::Mapping> control);
  ControlBlock& control(int rank) const;
  // Buffer of `rank` at the element offset of `data` in this rank's buffer.
  float* peerBuffer(int rank, std::span<const float> data) const;

  std::unique_ptr<SharedSegments> segments_;
  int rank_ = 0, size_ = 1;
  std::unique_ptr<SharedSegments::Mapping> control_;
  std::unique_ptr<SharedSegments::Mapping> data_;
  std::vector<float*> peers_;  // every rank's buffer at the offset of the range being summed
  int64_t dataCapacity_ = 0;
  int64_t epoch_ = 0;  // arrivals so far
};

}  // namespace shoal::dist
