// Probing a directory for writing.
#include "shoal/io/writable_directory.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "shoal/error.hpp"

namespace shoal::io {

void checkWritableDirectory(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw OutputError(dir + ": cannot create the directory: " + ec.message());
  std::string probe = dir + "/.shoal-write-probe-" + std::to_string(::getpid());
  std::FILE* f = std::fopen(probe.c_str(), "w");
  if (!f) throw OutputError(dir + ": cannot write into the directory: " + std::strerror(errno));
  std::fclose(f);
  std::remove(probe.c_str());
}

}  // namespace shoal::io
