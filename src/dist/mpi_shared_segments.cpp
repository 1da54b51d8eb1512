// Shared segments from Open MPI's shared-memory windows (MPI_Win_allocate_shared) over the ranks of one machine.
#include <mpi.h>

#include "mpi_shared_segments.hpp"

namespace shoal::dist {
namespace {

constexpr uintptr_t kAlignment = 64;

// The first 64-byte boundary at or after `p` (the same memory in every process: mappings of a
// shared segment start on pages).
unsigned char* alignUp(unsigned char* p) {
  const uintptr_t address = reinterpret_cast<uintptr_t>(p);
  return p + ((kAlignment - address % kAlignment) % kAlignment);
}

// A window locked for one passive epoch (plain loads and stores); unlocked and freed when it goes.
class WindowMapping final : public SharedSegments::Mapping {
 public:
  explicit WindowMapping(MPI_Win window) : window_(window) {}
  ~WindowMapping() override {
    MPI_Win_unlock_all(window_);
    MPI_Win_free(&window_);
  }

 private:
  MPI_Win window_;
};

class MpiSharedSegments final : public SharedSegments {
 public:
  explicit MpiSharedSegments(MPI_Comm comm) : comm_(comm) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  std::unique_ptr<Mapping> map(size_t bytes) override {
    MPI_Info info;
    MPI_Info_create(&info);
    MPI_Info_set(info, "alloc_shared_noncontig", "true");  // a segment per rank, on pages of its own
    MPI_Win window = MPI_WIN_NULL;
    void* base = nullptr;
    MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
    // Open MPI's segments start 8 bytes past a page; each rank's use starts at the next 64 bytes.
    int rc = MPI_Win_allocate_shared(static_cast<MPI_Aint>(bytes + kAlignment), 1, info, comm_, &base, &window);
    MPI_Info_free(&info);
    int ok = rc == MPI_SUCCESS;
    int everyone = 0;
    MPI_Allreduce(&ok, &everyone, 1, MPI_INT, MPI_MIN, comm_);
    if (!everyone) {
      if (rc == MPI_SUCCESS) MPI_Win_free(&window);
      return nullptr;
    }
    MPI_Win_lock_all(MPI_MODE_NOCHECK, window);
    auto mapping = std::make_unique<WindowMapping>(window);
    for (int q = 0; q < size_; ++q) {
      MPI_Aint segmentBytes = 0;
      int unit = 0;
      void* segment = nullptr;
      MPI_Win_shared_query(window, q, &segmentBytes, &unit, &segment);
      mapping->bases.push_back(alignUp(static_cast<unsigned char*>(segment)));
    }
    return mapping;
  }

  void barrier() override { MPI_Barrier(comm_); }

 private:
  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
};

}  // namespace

std::unique_ptr<SharedSegments> mpiSharedSegments(MPI_Comm comm) { return std::make_unique<MpiSharedSegments>(comm); }

}  // namespace shoal::dist
