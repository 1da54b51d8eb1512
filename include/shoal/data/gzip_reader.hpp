// GzipReader: streams a file's bytes, inflating gzip (detected by its 1f 8b magic) on the way.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

struct gzFile_s;

namespace shoal::data {

class GzipReader {
 public:
  // Opens `path`; throws InputError naming it when it is missing, a directory or unreadable.
  explicit GzipReader(const std::string& path);
  ~GzipReader();
  GzipReader(const GzipReader&) = delete;
  GzipReader& operator=(const GzipReader&) = delete;

  // Reads up to `count` (uncompressed) bytes into `dst`; returns fewer only at the end of the
  // data. Throws InputError naming the file and the byte offset when the gzip stream is corrupt
  // or truncated, or the file cannot be read.
  size_t read(uint8_t* dst, size_t count);
  // Everything from the current position to the end.
  std::string readAll();

  const std::string& path() const { return path_; }
  // True when the file is gzip-compressed.
  bool compressed() const;
  // The likely uncompressed size: the file size, or for gzip the size its trailer records
  // (modulo 4 GiB, and only a hint: a corrupt file may lie). For sizing buffers.
  uint64_t sizeHint() const { return sizeHint_; }
  // Uncompressed bytes read so far.
  uint64_t position() const { return position_; }

 private:
  // Throws InputError when zlib reports an error, naming the uncompressed `offset`.
  void checkError(uint64_t offset) const;

  std::string path_;
  gzFile_s* file_ = nullptr;
  uint64_t fileSize_ = 0;
  uint64_t sizeHint_ = 0;
  uint64_t position_ = 0;
};

}  // namespace shoal::data
