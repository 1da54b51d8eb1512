// The rendezvous through a directory every rank sees (one machine or a shared filesystem).
#pragma once
#include <string>

#include "rendezvous_server.hpp"

namespace shoal::dist::rendezvous {

// Leaves this rank's marker (its hello, MAC'd with the job secret) in DIR/attempt-<attempt>/ and
// checks every other rank's as they appear: the same secret, world size, attempt and
// configuration, no second marker for this rank. Returns the attempt's directory (Gloo's
// FileStore keeps its keys there). UsageError naming the rank at fault; shoal::Error naming the
// ranks that left no marker within the timeout.
std::string joinThroughDirectory(const std::string& dir, const JobIdentity& job, int rank, double timeoutSeconds,
                                 const std::string& timeoutName);

}  // namespace shoal::dist::rendezvous
