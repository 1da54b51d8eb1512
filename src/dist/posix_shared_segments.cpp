// Shared segments from POSIX shared memory (shm_open, mmap), agreed through a communicator of the whole job.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "shared_segments.hpp"
#include "shoal/dist/communicator.hpp"

namespace shoal::dist {
namespace {

// Pages mapped from shared-memory objects, unmapped when it goes.
class PosixMapping final : public SharedSegments::Mapping {
 public:
  explicit PosixMapping(size_t bytes) : bytes_(bytes) {}
  ~PosixMapping() override {
    for (unsigned char* base : bases)
      if (base) ::munmap(base, bytes_);
  }

 private:
  size_t bytes_;
};

// Maps the shared-memory object `name` (`bytes` long); null when it cannot.
unsigned char* mapObject(const std::string& name, size_t bytes, bool create) {
  const int fd = ::shm_open(name.c_str(), create ? O_RDWR | O_CREAT | O_EXCL : O_RDWR, 0600);
  if (fd < 0) return nullptr;
  void* p = MAP_FAILED;
  if (!create || ::ftruncate(fd, static_cast<off_t>(bytes)) == 0)
    p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ::close(fd);
  if (p != MAP_FAILED) return static_cast<unsigned char*>(p);
  if (create) ::shm_unlink(name.c_str());
  return nullptr;
}

class PosixSharedSegments final : public SharedSegments {
 public:
  PosixSharedSegments(Communicator& job, std::vector<int> hostRanks, uint64_t tag)
      : job_(job), hostRanks_(std::move(hostRanks)), tag_(tag) {
    rank_ = static_cast<int>(std::find(hostRanks_.begin(), hostRanks_.end(), job_.rank()) - hostRanks_.begin());
  }

  int rank() const override { return rank_; }
  int size() const override { return static_cast<int>(hostRanks_.size()); }

  std::unique_ptr<Mapping> map(size_t bytes) override {
    bytes = std::max<size_t>(bytes, 1);
    ++generation_;
    auto mapping = std::make_unique<PosixMapping>(bytes);
    mapping->bases.assign(hostRanks_.size(), nullptr);
    const std::string mine = objectName(job_.rank());
    mapping->bases[rank_] = mapObject(mine, bytes, /*create=*/true);
    bool ok = everyone(mapping->bases[rank_] != nullptr);
    if (ok) {
      bool mapped = true;
      for (size_t q = 0; q < hostRanks_.size(); ++q)
        if (static_cast<int>(q) != rank_) mapped = (mapping->bases[q] = mapObject(objectName(hostRanks_[q]), bytes, false)) && mapped;
      ok = everyone(mapped);  // every peer mapped this rank's object: its name may go
    }
    if (mapping->bases[rank_]) ::shm_unlink(mine.c_str());
    if (!ok) return nullptr;
    return mapping;
  }

  void barrier() override { job_.barrier(); }

 private:
  // "/shoal-<tag>-<job rank>-<generation>": one object per rank and map() of a job.
  std::string objectName(int jobRank) const {
    char name[96];
    std::snprintf(name, sizeof name, "/shoal-%016llx-%d-%lld", static_cast<unsigned long long>(tag_), jobRank,
                  static_cast<long long>(generation_));
    return name;
  }

  // True when `ok` holds on every rank of the job.
  bool everyone(bool ok) {
    for (int64_t other : job_.allGather(ok ? 1 : 0))
      if (!other) return false;
    return true;
  }

  Communicator& job_;
  std::vector<int> hostRanks_;
  uint64_t tag_;
  int rank_ = 0;
  int64_t generation_ = 0;
};

}  // namespace

std::unique_ptr<SharedSegments> posixSharedSegments(Communicator& job, std::vector<int> hostRanks, uint64_t tag) {
  return std::make_unique<PosixSharedSegments>(job, std::move(hostRanks), tag);
}

}  // namespace shoal::dist
