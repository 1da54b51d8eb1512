// FileBytes: a file's bytes in memory without a copy (a read-only memory map), or inflated when gzip-compressed.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace shoal::data {

class FileBytes {
 public:
  // Maps `path` (a plain file) or reads it whole through zlib (gzip, detected by its magic).
  // InputError naming the file when it is missing, a directory or unreadable.
  explicit FileBytes(const std::string& path);
  ~FileBytes();
  FileBytes(const FileBytes&) = delete;
  FileBytes& operator=(const FileBytes&) = delete;

  std::string_view view() const { return {data_, size_}; }
  // True when the bytes are a map of the file (pages read on first touch), false when inflated.
  bool mapped() const { return mapped_; }
  // Lets go of the whole pages of a mapped file inside view()[begin, end) (madvise
  // MADV_DONTNEED), so the bytes already read stop counting in the process's memory; touched
  // again, they are read back from the file. Does nothing for inflated bytes.
  void release(size_t begin, size_t end) const;

 private:
  const char* data_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;
  std::string inflated_;
};

// Lets go of the whole memory pages inside [begin, end) (madvise MADV_DONTNEED): a file's mapped
// pages are read back from it when touched again, anonymous ones read as zeros.
void releasePages(const void* begin, const void* end);

// Makes the pages of [begin, end) resident and writable in one call (madvise MADV_POPULATE_WRITE:
// one system call instead of a fault per page); a kernel without it (before Linux 5.14) leaves
// them to be faulted in when written.
void populatePages(const void* begin, const void* end);

}  // namespace shoal::data
