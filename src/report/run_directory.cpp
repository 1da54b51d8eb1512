// Finding run directories under a log directory and resolving request paths without leaving it.
#include "shoal/report/run_directory.hpp"

#include <algorithm>
#include <filesystem>


namespace fs = std::filesystem;

namespace shoal::report {
namespace {

bool isUnder(const fs::path& real, const fs::path& root) {
  auto r = root.begin(), p = real.begin();
  for (; r != root.end(); ++r, ++p)
    if (p == real.end() || *p != *r) return false;
  return true;
}

void findRuns(const fs::path& root, const fs::path& dir, const std::string& relative, int depthLeft,
              std::vector<std::string>& runs) {
  std::error_code ec;
  if (fs::is_regular_file(dir / "metrics.jsonl", ec)) {
    ResolvedPath metrics = resolveUnderRoot(root.string(), (relative == "." ? "" : relative + "/") + "metrics.jsonl");
    if (metrics.status == PathStatus::Ok) runs.push_back(relative);
  }
  if (depthLeft == 0) return;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_symlink(ec) || !it->is_directory(ec)) continue;  // links are not walked into
    std::string name = it->path().filename().string();
    if (name.starts_with(".")) continue;
    findRuns(root, it->path(), relative == "." ? name : relative + "/" + name, depthLeft - 1, runs);
  }
}

}  // namespace

ResolvedPath resolveUnderRoot(const std::string& root, const std::string& relative) {
  if (relative.find('\0') != std::string::npos) return {};
  size_t start = 0;
  while (start <= relative.size()) {
    size_t end = relative.find('/', start);
    if (end == std::string::npos) end = relative.size();
    std::string_view part(relative.data() + start, end - start);
    bool lastAndEmpty = part.empty() && end == relative.size() && start > 0;  // "dir/" is fine
    if ((part.empty() && !lastAndEmpty && !relative.empty()) || part == "." || part == "..") return {};
    start = end + 1;
  }
  std::error_code ec;
  fs::path realRoot = fs::canonical(root, ec);
  if (ec) return {};
  fs::path real = fs::canonical(realRoot / relative, ec);
  if (ec) return {};
  if (!isUnder(real, realRoot)) return {PathStatus::Outside, ""};
  return {PathStatus::Ok, real.string()};
}

std::vector<std::string> listRuns(const std::string& logdir, int maxDepth) {
  std::vector<std::string> runs;
  std::error_code ec;
  fs::path root = fs::canonical(logdir, ec);
  if (ec) return runs;
  findRuns(root, root, ".", maxDepth, runs);
  std::sort(runs.begin(), runs.end());
  return runs;
}

}  // namespace shoal::report
