// FileBytes: mmap for plain files (only the pages a rank touches are read), zlib for gzip ones.
#include "shoal/data/file_bytes.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "shoal/data/gzip_reader.hpp"
#include "shoal/error.hpp"

namespace shoal::data {

FileBytes::FileBytes(const std::string& path) {
  GzipReader reader(path);  // the checks: exists, not a directory, readable
  if (reader.compressed()) {
    inflated_ = reader.readAll();
    data_ = inflated_.data();
    size_ = inflated_.size();
    return;
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError::at(path, 0, 0, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
    ::close(fd);
    inflated_ = GzipReader(path).readAll();  // a pipe or an empty file: read what is there
    data_ = inflated_.data();
    size_ = inflated_.size();
    return;
  }
  void* map = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) throw InputError::at(path, 0, 0, std::string("cannot map: ") + std::strerror(errno));
  data_ = static_cast<const char*>(map);
  size_ = static_cast<size_t>(st.st_size);
  mapped_ = true;
}

void releasePages(const void* begin, const void* end) {
  static const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t first = (reinterpret_cast<uintptr_t>(begin) + page - 1) / page * page;
  const uintptr_t last = reinterpret_cast<uintptr_t>(end) / page * page;
  if (first < last) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

void populatePages(const void* begin, const void* end) {
  static const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t first = reinterpret_cast<uintptr_t>(begin) / page * page;
  const uintptr_t last = (reinterpret_cast<uintptr_t>(end) + page - 1) / page * page;
  if (first < last) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_POPULATE_WRITE);
}

void FileBytes::release(size_t begin, size_t end) const {
  if (mapped_ && begin < size_) releasePages(data_ + begin, data_ + std::min(end, size_));
}

FileBytes::~FileBytes() {
  if (mapped_) ::munmap(const_cast<char*>(data_), size_);
}

}  // namespace shoal::data
