// IDX reading: header checks, bounded streaming of the payload, label validation.
#include "shoal/data/idx_reader.hpp"

#include <algorithm>
#include <cstdio>

#include "shoal/data/gzip_reader.hpp"
#include "shoal/error.hpp"

namespace shoal::data {
namespace {

// Largest image side accepted; anything bigger is a corrupt header.
constexpr uint32_t kMaxSide = 1 << 16;
// The payload buffer starts at the file's likely size and at most doubles while data keeps
// coming, so a header that claims more items than the file holds costs no more memory than
// about twice the file's actual contents.
constexpr size_t kMinBuffer = size_t{1} << 16;
// Trailing bytes are counted up to this many before the error is reported.
constexpr uint64_t kTrailingLimit = uint64_t{1} << 20;

std::string hex(uint32_t v) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "0x%08X", v);
  return buffer;
}

std::string describeMagic(uint32_t magic) {
  if (magic == kIdxImagesMagic) return " (an IDX image file)";
  if (magic == kIdxLabelsMagic) return " (an IDX label file)";
  if ((magic >> 16) == 0x1f8b) return " (a gzip header that zlib did not recognise)";
  if ((magic >> 16) != 0) return " (not an IDX file)";
  return "";
}

// Reads the big-endian magic and `rank` dimensions; `kind` is "image" or "label".
std::vector<uint32_t> readHeader(GzipReader& in, uint32_t expectedMagic, size_t rank,
                                 const char* kind) {
  const size_t headerBytes = 4 * (rank + 1);
  uint8_t header[16];
  size_t got = in.read(header, headerBytes);
  if (got >= 4) {
    uint32_t magic = (uint32_t{header[0]} << 24) | (uint32_t{header[1]} << 16) |
                     (uint32_t{header[2]} << 8) | header[3];
    if (magic != expectedMagic)
      throw InputError::at(in.path(), 0, 0,
                           std::string("not an IDX ") + kind + " file: expected magic " +
                               hex(expectedMagic) + ", found " + hex(magic) + describeMagic(magic));
  }
  if (got < headerBytes)
    throw InputError::at(in.path(), 0, 0,
                         std::string("truncated IDX ") + kind + " file: expected a " +
                             std::to_string(headerBytes) + "-byte header, found " +
                             std::to_string(got) + " bytes");
  std::vector<uint32_t> dims(rank);
  for (size_t d = 0; d < rank; ++d) {
    const uint8_t* b = header + 4 * (d + 1);
    dims[d] = (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
  }
  if (dims[0] == 0 || dims[0] > 0x7fffffffu)
    throw InputError::at(in.path(), 0, 0,
                         std::string("IDX header at byte 4 claims ") + std::to_string(dims[0]) +
                             " items, expected between 1 and 2147483647");
  return dims;
}

// Reads exactly `total` payload bytes, then checks that the data ends there.
std::vector<uint8_t> readPayload(GzipReader& in, uint64_t total, const std::string& promise,
                                 uint64_t itemBytes, const char* items) {
  std::vector<uint8_t> out;
  size_t have = 0;
  const uint64_t left = in.sizeHint() - std::min(in.sizeHint(), in.position());
  const uint64_t expected = std::max<uint64_t>(left, kMinBuffer);
  while (have < total) {
    const uint64_t next = have == 0 ? expected : uint64_t{have} * 2;
    out.resize(static_cast<size_t>(std::min<uint64_t>(total, next)));
    size_t n = in.read(out.data() + have, out.size() - have);
    have += n;
    if (have < out.size()) break;
  }
  if (have < total)
    throw InputError::at(in.path(), 0, 0,
                         "truncated IDX file: the header promises " + promise + ", " +
                             std::to_string(total) + " bytes of data; found " +
                             std::to_string(have) + " bytes, enough for " +
                             std::to_string(have / itemBytes) + " of the " +
                             std::to_string(total / itemBytes) + " " + items);
  uint8_t extra[4096];
  uint64_t trailing = 0;
  while (size_t n = in.read(extra, sizeof extra)) {
    trailing += n;
    if (trailing >= kTrailingLimit) break;
  }
  if (trailing > 0)
    throw InputError::at(in.path(), 0, 0,
                         "corrupt IDX file: " + std::to_string(trailing) +
                             (trailing >= kTrailingLimit ? " or more" : "") + " bytes follow the " +
                             promise + " that the header declares");
  return out;
}

}  // namespace

std::vector<uint8_t> readIdxImages(const std::string& path, Shape& sampleShape) {
  GzipReader in(path);
  std::vector<uint32_t> dims = readHeader(in, kIdxImagesMagic, 3, "image");
  const uint32_t count = dims[0], height = dims[1], width = dims[2];
  if (height == 0 || width == 0 || height > kMaxSide || width > kMaxSide)
    throw InputError::at(path, 0, 0,
                         "IDX header at byte 8 claims images of " + std::to_string(height) + "x" +
                             std::to_string(width) + " pixels, expected sides between 1 and " +
                             std::to_string(kMaxSide));
  const uint64_t imageBytes = uint64_t{height} * width;
  std::vector<uint8_t> pixels = readPayload(
      in, imageBytes * count,
      std::to_string(count) + " images of " + std::to_string(height) + "x" + std::to_string(width),
      imageBytes, "images");
  sampleShape = Shape{1, int64_t{height}, int64_t{width}};
  return pixels;
}

std::vector<uint8_t> readIdxLabels(const std::string& path) {
  GzipReader in(path);
  const uint32_t count = readHeader(in, kIdxLabelsMagic, 1, "label")[0];
  return readPayload(in, count, std::to_string(count) + " labels", 1, "labels");
}

Dataset readIdx(const std::string& imagesPath, const std::string& labelsPath, int numClasses) {
  if (numClasses <= 0)
    throw UsageError("readIdx: numClasses must be positive, got " +
                     std::to_string(numClasses));
  Shape sampleShape;
  std::vector<uint8_t> pixels = readIdxImages(imagesPath, sampleShape);
  std::vector<uint8_t> raw = readIdxLabels(labelsPath);
  const size_t images = pixels.size() / static_cast<size_t>(sampleShape.numel());
  if (raw.size() != images)
    throw InputError(imagesPath + " holds " + std::to_string(images) + " images but " + labelsPath +
                     " holds " + std::to_string(raw.size()) +
                     " labels; expected one label per image");
  std::vector<int32_t> labels(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] >= numClasses)
      throw InputError::at(labelsPath, 0, 0,
                           "byte " + std::to_string(8 + i) + ": label " + std::to_string(raw[i]) +
                               " of item " + std::to_string(i) + " is outside [0, " +
                               std::to_string(numClasses) + ")");
    labels[i] = raw[i];
  }
  Dataset d = Dataset::fromBytes(sampleShape, std::move(pixels), std::move(labels), numClasses);
  d.setPreprocessing(Preprocessing::pixelScale());
  return d;
}

}  // namespace shoal::data
