// The Open MPI implementation of SharedSegments (shared-memory windows).
#pragma once
#include <mpi.h>

#include "shared_segments.hpp"

namespace shoal::dist {

// Over `comm`, whose ranks all run on one machine (it must outlive the segments).
std::unique_ptr<SharedSegments> mpiSharedSegments(MPI_Comm comm);

}  // namespace shoal::dist
