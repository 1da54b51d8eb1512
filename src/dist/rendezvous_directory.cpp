// Joining through a shared directory: each rank publishes an HMAC'd marker (link() makes a second
// marker for the same rank fail atomically) and verifies the others' before Gloo's FileStore is used.
#include "rendezvous_directory.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "rendezvous_protocol.hpp"
#include "shoal/error.hpp"

namespace shoal::dist::rendezvous {
namespace {

// Markers are hellos "signed" over this in place of a store's nonce.
constexpr std::string_view kDirectoryNonce = "shoal-directory-rendezvous";

std::string markerPath(const std::string& dir, int rank) { return dir + "/joined-rank-" + std::to_string(rank); }

std::string readAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string seconds(double s) {
  char text[32];
  std::snprintf(text, sizeof text, "%g s", s);
  return text;
}

}  // namespace

std::string joinThroughDirectory(const std::string& base, const JobIdentity& job, int rank, double timeoutSeconds,
                                 const std::string& timeoutName) {
  const std::string dir = base + "/attempt-" + job.attempt;
  const std::string me = "rank " + std::to_string(rank) + ": rendezvous in " + dir + ": ";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw UsageError(me + "cannot create the directory: " + ec.message());

  Hello hello{rank, job.worldSize, job.attempt, job.configHash, randomNonce()};
  const std::string temporary = dir + "/.joining-" + std::to_string(rank) + "-" + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::binary);
    out << encodeHello(hello, job.secret, kDirectoryNonce);
    if (!out) throw UsageError(me + "cannot write " + temporary);
  }
  const int linked = ::link(temporary.c_str(), markerPath(dir, rank).c_str());
  const int linkError = errno;
  ::unlink(temporary.c_str());
  if (linked != 0 && linkError == EEXIST)
    throw UsageError(me + "duplicate rank: rank " + std::to_string(rank) +
                     " already joined (or an earlier run left its marker: use an empty directory or a new "
                     "SHOAL_ATTEMPT)");
  if (linked != 0) throw UsageError(me + "cannot write the marker: " + std::strerror(linkError));

  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(timeoutSeconds > 0 ? timeoutSeconds * 1000 : 1e15));
  std::vector<bool> verified(job.worldSize, false);
  verified[rank] = true;
  for (;;) {
    std::string missing;
    int count = 0;
    for (int peer = 0; peer < job.worldSize; ++peer) {
      if (verified[peer]) continue;
      const std::string path = markerPath(dir, peer);
      if (::access(path.c_str(), F_OK) != 0) {
        missing += (missing.empty() ? "" : ", ") + std::to_string(peer);
        ++count;
        continue;
      }
      bool macOk = false;
      auto theirs = decodeHello(readAll(path), job.secret, kDirectoryNonce, macOk);
      const std::string them = "refused rank " + std::to_string(peer) + "'s marker: ";
      if (!theirs) throw UsageError(me + them + "not a shoal rendezvous marker");
      if (!macOk) throw UsageError(me + them + "wrong job secret (it was not signed with this job's secret)");
      if (theirs->worldSize != job.worldSize)
        throw UsageError(me + them + "wrong world size: it says " + std::to_string(theirs->worldSize) +
                         ", this rank has " + std::to_string(job.worldSize));
      if (!sameDigest(theirs->configHash, job.configHash))
        throw UsageError(me + them + "its run configuration differs from this rank's (configuration hash " +
                         toHex(theirs->configHash).substr(0, 12) + " against " + toHex(job.configHash).substr(0, 12) +
                         "): the model, optimiser, batch, seed and strategy must agree");
      verified[peer] = true;
    }
    if (count == 0) return dir;
    if (std::chrono::steady_clock::now() >= deadline)
      throw Error(me + (count == 1 ? "rank " : "ranks ") + missing + " did not join within " + seconds(timeoutSeconds) +
                  " (" + timeoutName + ")");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace shoal::dist::rendezvous
