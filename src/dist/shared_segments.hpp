// SharedSegments: memory that the ranks of one machine map, a segment per rank (Open MPI's shared windows, or POSIX shared memory for Gloo).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace shoal::dist {

class Communicator;

// The ranks of one machine ("the host's ranks", numbered 0..size()-1). Every call is collective
// over the ranks the implementation agrees with (see the factories).
class SharedSegments {
 public:
  // Every host rank's segment as this process maps it, indexed by host rank; each starts on a
  // 64-byte boundary and holds the bytes asked for. Unmapped (and freed) when destroyed, which is
  // collective too.
  class Mapping {
   public:
    virtual ~Mapping() = default;
    std::vector<unsigned char*> bases;
  };

  virtual ~SharedSegments() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // A segment of `bytes` for every host rank; null on every rank when some rank could not have
  // its segment or map another's.
  virtual std::unique_ptr<Mapping> map(size_t bytes) = 0;
  // Returns once every rank called it.
  virtual void barrier() = 0;
};

// Over `job`, a communicator of the whole job, whose ranks `hostRanks` (ascending, this rank
// among them) run on this machine: segments are POSIX shared-memory objects named after `tag`
// (the same on every rank, different for every job), created by their owners with mode 0600,
// mapped by the host's other ranks and unlinked once every rank mapped them, so nothing is left
// behind when the job ends. Collective over the whole job (every rank agrees, through `job`,
// that every rank of every host could map its host's segments).
std::unique_ptr<SharedSegments> posixSharedSegments(Communicator& job, std::vector<int> hostRanks, uint64_t tag);

}  // namespace shoal::dist
