// Collectives through memory that the ranks of one machine share (segments mapped by every rank).
#include "shared_memory_reducer.hpp"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace shoal::dist {
namespace {

static_assert(std::atomic<int64_t>::is_always_lock_free, "arrival counters must be lock-free");

void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

int64_t roundUp(int64_t value, int64_t multiple) { return (value + multiple - 1) / multiple * multiple; }

// buffers[q][begin, end) for every rank q: the sums over q, in rank order, stored in every buffer.
void sumAcross(std::span<float* const> buffers, int64_t begin, int64_t end) {
  constexpr int64_t kBlock = 2048;  // 8 KB of sums stays in L1
  alignas(64) float sum[kBlock];
  for (int64_t block = begin; block < end; block += kBlock) {
    const int64_t length = std::min(kBlock, end - block);
    std::memcpy(sum, buffers[0] + block, length * sizeof(float));
    for (size_t q = 1; q < buffers.size(); ++q) {
      const float* values = buffers[q] + block;
#pragma omp simd
      for (int64_t i = 0; i < length; ++i) sum[i] += values[i];
    }
    for (float* buffer : buffers) std::memcpy(buffer + block, sum, length * sizeof(float));
  }
}

}  // namespace

// One rank's control block: its arrival counter on a cache line of its own, then the scratch of
// small reductions, double-buffered by the parity of the arrival that publishes it (a rank
// writes one half while slower ranks may still read the other).
struct SharedMemoryReducer::ControlBlock {
  alignas(64) std::atomic<int64_t> arrived{0};
  alignas(64) unsigned char scratch[2][kSmallBytes];
};

std::unique_ptr<SharedMemoryReducer> SharedMemoryReducer::create(std::unique_ptr<SharedSegments> segments) {
  std::unique_ptr<SharedSegments::Mapping> control = segments->map(sizeof(ControlBlock));
  if (!control) return nullptr;
  return std::unique_ptr<SharedMemoryReducer>(new SharedMemoryReducer(std::move(segments), std::move(control)));
}

SharedMemoryReducer::SharedMemoryReducer(std::unique_ptr<SharedSegments> segments,
                                         std::unique_ptr<SharedSegments::Mapping> control)
    : segments_(std::move(segments)), rank_(segments_->rank()), size_(segments_->size()), control_(std::move(control)) {
  new (control_->bases[rank_]) ControlBlock();
  peers_.resize(size_);
  segments_->barrier();  // every control block is initialised before anyone reads it
}

SharedMemoryReducer::~SharedMemoryReducer() = default;  // the data segments first, then the control blocks

SharedMemoryReducer::ControlBlock& SharedMemoryReducer::control(int rank) const {
  return *std::launder(reinterpret_cast<ControlBlock*>(control_->bases[rank]));
}

float* SharedMemoryReducer::buffer(int64_t count) {
  if (count > dataCapacity_) {
    data_.reset();
    dataCapacity_ = 0;
    data_ = segments_->map(static_cast<size_t>(roundUp(count * sizeof(float), 4096)));
    if (!data_) return nullptr;
    dataCapacity_ = count;
  }
  return reinterpret_cast<float*>(data_->bases[rank_]);
}

bool SharedMemoryReducer::holds(std::span<const float> data) const {
  if (dataCapacity_ == 0 || data.empty()) return false;
  const float* base = reinterpret_cast<const float*>(data_->bases[rank_]);
  return data.data() >= base && data.data() + data.size() <= base + dataCapacity_;
}

float* SharedMemoryReducer::peerBuffer(int rank, std::span<const float> data) const {
  const float* base = reinterpret_cast<const float*>(data_->bases[rank_]);
  return reinterpret_cast<float*>(data_->bases[rank]) + (data.data() - base);
}

bool SharedMemoryReducer::arrive(double timeoutSeconds, Clock::time_point begin) {
  constexpr int64_t kSpins = 4000, kYields = 20000;  // then sleep: the peer is descheduled
  ++epoch_;
  control(rank_).arrived.store(epoch_, std::memory_order_release);
  for (int q = 0; q < size_; ++q) {
    const std::atomic<int64_t>& counter = control(q).arrived;
    for (int64_t polls = 0; counter.load(std::memory_order_acquire) < epoch_; ++polls) {
      if (polls < kSpins) {
        cpuRelax();
        continue;
      }
      if (timeoutSeconds > 0 &&
          std::chrono::duration<double>(Clock::now() - begin).count() > timeoutSeconds)
        return false;
      if (polls < kSpins + kYields)
        sched_yield();
      else
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
  return true;
}

std::string SharedMemoryReducer::missingRanks(std::span<const int> names) const {
  std::string missing;
  for (int q = 0; q < size_; ++q)
    if (control(q).arrived.load(std::memory_order_acquire) < epoch_)
      missing += (missing.empty() ? "" : ", ") + std::to_string(names[q]);
  return missing;
}

template <class T>
void SharedMemoryReducer::publish(std::span<const T> data) {
  const int half = static_cast<int>((epoch_ + 1) % 2);  // the half the coming arrival publishes
  std::memcpy(control(rank_).scratch[half], data.data(), data.size_bytes());
}

template <class T>
void SharedMemoryReducer::combinePublished(std::span<T> data, ReduceOp op) const {
  const int half = static_cast<int>(epoch_ % 2);
  for (size_t i = 0; i < data.size(); ++i) {
    T value;
    std::memcpy(&value, control(0).scratch[half] + i * sizeof(T), sizeof(T));
    for (int q = 1; q < size_; ++q) {
      T other;
      std::memcpy(&other, control(q).scratch[half] + i * sizeof(T), sizeof(T));
      value = combine(value, other, op);
    }
    data[i] = value;
  }
}

template void SharedMemoryReducer::publish(std::span<const float>);
template void SharedMemoryReducer::publish(std::span<const double>);
template void SharedMemoryReducer::combinePublished(std::span<float>, ReduceOp) const;
template void SharedMemoryReducer::combinePublished(std::span<double>, ReduceOp) const;

void SharedMemoryReducer::sumSlice(std::span<float> data) {
  const int64_t n = static_cast<int64_t>(data.size());
  const int64_t slice = roundUp((n + size_ - 1) / size_, 16);  // whole cache lines per rank
  const int64_t first = std::min(n, rank_ * slice), last = std::min(n, first + slice);
  for (int q = 0; q < size_; ++q) peers_[q] = peerBuffer(q, data);
  sumAcross(peers_, first, last);
}

void SharedMemoryReducer::copyFrom(int rank, std::span<float> data) const {
  std::memcpy(data.data(), peerBuffer(rank, data), data.size_bytes());
}

}  // namespace shoal::dist
