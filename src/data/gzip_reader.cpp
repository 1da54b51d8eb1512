// Raw-or-gzip file reading through zlib's gzFile API, with positioned errors.
#include "shoal/data/gzip_reader.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "shoal/error.hpp"

namespace shoal::data {
namespace {

// Compression ratios above this are rare; a larger trailer size is not trusted for buffer sizing.
constexpr uint64_t kMaxHintRatio = 16;

}  // namespace

GzipReader::GzipReader(const std::string& path) : path_(path) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status))
    throw InputError::at(path, 0, 0, "cannot open: no such file");
  if (std::filesystem::is_directory(status))
    throw InputError::at(path, 0, 0, "is a directory, expected a file");
  fileSize_ = std::filesystem::is_regular_file(status) ? std::filesystem::file_size(path, ec) : 0;
  if (ec) fileSize_ = 0;
  errno = 0;
  file_ = gzopen(path.c_str(), "rb");
  if (!file_)
    throw InputError::at(
        path, 0, 0,
        std::string("cannot open: ") + (errno ? std::strerror(errno) : "out of memory"));
  gzbuffer(file_, 1 << 17);
  sizeHint_ = fileSize_;
  if (compressed() && fileSize_ >= 18) {
    // ISIZE: the last four bytes of a gzip member, little-endian.
    std::ifstream raw(path, std::ios::binary);
    uint8_t trailer[4] = {};
    if (raw.seekg(-4, std::ios::end) && raw.read(reinterpret_cast<char*>(trailer), 4))
      // Capped, so that a corrupt trailer cannot ask for gigabytes up front.
      sizeHint_ = std::min(uint64_t{trailer[0]} | uint64_t{trailer[1]} << 8 |
                               uint64_t{trailer[2]} << 16 | uint64_t{trailer[3]} << 24,
                           fileSize_ * kMaxHintRatio);
  }
}

GzipReader::~GzipReader() {
  if (file_) gzclose_r(file_);
}

bool GzipReader::compressed() const { return gzdirect(file_) == 0; }

size_t GzipReader::read(uint8_t* dst, size_t count) {
  size_t done = 0;
  while (done < count) {
    unsigned chunk = static_cast<unsigned>(std::min<size_t>(count - done, 1u << 30));
    int n = gzread(file_, dst + done, chunk);
    if (n > 0) done += static_cast<size_t>(n);
    // A short read is the end of the data, unless zlib met an error or a stream cut off mid-way.
    if (n < 0 || static_cast<unsigned>(n) < chunk) {
      checkError(position_ + done);
      break;
    }
  }
  position_ += done;
  return done;
}

void GzipReader::checkError(uint64_t offset) const {
  int code = Z_OK;
  std::string message = gzerror(file_, &code);
  if (code == Z_OK) return;
  // zlib prefixes its message with the path.
  if (message.rfind(path_ + ": ", 0) == 0) message.erase(0, path_.size() + 2);
  std::string what = code == Z_ERRNO       ? std::string("read error: ") + std::strerror(errno)
                     : code == Z_BUF_ERROR ? "truncated gzip file: " + message
                                           : "corrupt gzip data: " + message;
  throw InputError::at(path_, 0, 0,
                       what + " (after " + std::to_string(offset) + " uncompressed bytes)");
}

std::string GzipReader::readAll() {
  std::string text;
  size_t have = 0;
  size_t next = std::max<size_t>(sizeHint_ + 1, 1 << 16);
  while (true) {
    text.resize(std::max(next, have + (1 << 16)));
    size_t n = read(reinterpret_cast<uint8_t*>(text.data()) + have, text.size() - have);
    have += n;
    if (have < text.size()) break;
    next = text.size() * 2;
  }
  text.resize(have);
  return text;
}

}  // namespace shoal::data
