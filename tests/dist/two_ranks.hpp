// The communicators of the distributed test binary, shared by its files (one MPI job of 2 ranks).
#pragma once
#include <memory>

#include "shoal/dist/communicator.hpp"

namespace shoal::testing {

inline dist::Communicator& world() {
  static std::unique_ptr<dist::Communicator> comm = dist::connect(/*timeoutSeconds=*/60);
  return *comm;
}

// The same ranks with every collective left to Open MPI's messages.
inline dist::Communicator& messagesOnly() {
  world();  // the first communicator made initialises MPI and finalises it last
  static std::unique_ptr<dist::Communicator> comm =
      dist::connect(/*timeoutSeconds=*/60, /*sharedMemory=*/false);
  return *comm;
}

}  // namespace shoal::testing
