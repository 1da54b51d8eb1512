// Finding run directories under a log directory and resolving request paths without leaving it.
#pragma once
#include <string>
#include <vector>

namespace shoal::report {

enum class PathStatus {
  Ok,        // exists, and its real path lies under the root
  NotFound,  // missing, or the request names "..", "." or an empty component
  Outside,   // exists, but a symbolic link leads out of the root
};

struct ResolvedPath {
  PathStatus status = PathStatus::NotFound;
  std::string path;  // the real path when Ok
};

// Resolves `relative` (components separated by '/', already percent-decoded) under `root`.
// Never touches anything outside the root beyond following the links that are there.
ResolvedPath resolveUnderRoot(const std::string& root, const std::string& relative);

// Run directories under `logdir` (itself included, as "."), found up to `maxDepth` levels down:
// directories holding a metrics.jsonl whose real path lies under `logdir`. Sorted by name, as paths
// relative to `logdir`.
std::vector<std::string> listRuns(const std::string& logdir, int maxDepth = 3);

}  // namespace shoal::report
