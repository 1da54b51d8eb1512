// Counts heap allocations by replacing the global operator new: include from exactly one file of a test binary.
#pragma once
#include <dlfcn.h>
#include <execinfo.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

#include "shoal/train/optimizer.hpp"

namespace shoal::testing {

// Every thread's allocations while `countingAllocations` is set, apart from those made inside
// oneDNN: its primitive_execute builds a small map of the arguments on every call, which its API
// offers no way to avoid (counted separately in oneDnnAllocations).
inline std::atomic<bool> countingAllocations{false};
inline std::atomic<long> allocations{0};
inline std::atomic<long> oneDnnAllocations{0};

inline bool calledFromOneDnn() {
  void* frames[48];
  int n = backtrace(frames, 48);
  for (int i = 0; i < n; ++i) {
    Dl_info info;
    if (dladdr(frames[i], &info) && info.dli_fname && std::strstr(info.dli_fname, "libdnnl"))
      return true;
  }
  return false;
}

// Loads what backtrace needs, so that its first use does not count itself.
inline void prepareAllocationCounting() {
  void* frames[4];
  backtrace(frames, 4);
}

// Set while this thread classifies an allocation: backtrace and dladdr must not count themselves.
inline thread_local bool classifying = false;

inline void* countedAllocation(std::size_t size, std::size_t alignment) {
  if (countingAllocations.load(std::memory_order_relaxed) && !classifying) {
    classifying = true;
    (calledFromOneDnn() ? oneDnnAllocations : allocations).fetch_add(1);
    classifying = false;
  }
  if (size == 0) size = 1;
  void* p = alignment > alignof(std::max_align_t)
                ? std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment)
                : std::malloc(size);
  if (!p) throw std::bad_alloc();
  return p;
}

// Counts the allocations of the steps after the first `warmup` ones (the first steps size
// buffers and primitives; threshold's first step agrees on the threshold).
class AllocationCounter : public train::StepObserver {
 public:
  explicit AllocationCounter(int64_t warmup) : warmup_(warmup) {}
  void beforeStep(const train::TrainState& state) override { countingAllocations = state.iteration >= warmup_; }
  void afterStep(const train::TrainState&, train::RunLog&) override { countingAllocations = false; }

 private:
  int64_t warmup_;
};

}  // namespace shoal::testing

void* operator new(std::size_t size) { return shoal::testing::countedAllocation(size, 0); }
void* operator new[](std::size_t size) { return shoal::testing::countedAllocation(size, 0); }
void* operator new(std::size_t size, std::align_val_t a) {
  return shoal::testing::countedAllocation(size, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t size, std::align_val_t a) {
  return shoal::testing::countedAllocation(size, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
