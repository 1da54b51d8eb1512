// Encoding and checked decoding of the shared binary container.
#include "shoal/io/binary_container.hpp"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <fstream>
#include <iterator>

#include "shoal/error.hpp"

namespace shoal::io {
namespace {

static_assert(std::endian::native == std::endian::little, "the container is written in the host's byte order");

template <class T>
void put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

uint32_t crcOf(const char* data, size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (size > 0) {
    uInt chunk = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data), chunk);
    data += chunk;
    size -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

// Reads fixed-size fields from the file's bytes, failing with "truncated" past the end.
class Reader {
 public:
  Reader(const std::string& path, const std::string& bytes, const std::string& kind)
      : path_(path), bytes_(bytes), kind_(kind) {}
  template <class T>
  T get(const char* what) {
    T value;
    std::memcpy(&value, take(sizeof value, what), sizeof value);
    return value;
  }
  const char* take(uint64_t size, const char* what) {
    if (size > bytes_.size() - pos_)
      throw InputError(path_ + ": truncated " + kind_ + ": " + what + " needs " + std::to_string(size) +
                       " bytes at offset " + std::to_string(pos_) + ", the file has " +
                       std::to_string(bytes_.size() - pos_) + " left");
    const char* p = bytes_.data() + pos_;
    pos_ += size;
    return p;
  }
  size_t position() const { return pos_; }

 private:
  const std::string& path_;
  const std::string& bytes_;
  const std::string& kind_;
  size_t pos_ = 0;
};

}  // namespace

const Tensor* Container::find(const std::string& name) const {
  for (const auto& [n, t] : blocks)
    if (n == name) return &t;
  return nullptr;
}

std::string encodeContainer(const char magic[8], uint32_t version, const Container& container) {
  nlohmann::json blocks = nlohmann::json::array();
  size_t dataBytes = 0;
  for (const auto& [name, t] : container.blocks) {
    blocks.push_back({{"name", name}, {"shape", t.shape().dims()}});
    dataBytes += static_cast<size_t>(t.numel()) * sizeof(float);
  }
  if (!container.header.is_object() || container.header.contains("blocks"))
    throw UsageError("encodeContainer: the header must be a JSON object without a \"blocks\" key");
  nlohmann::json top = container.header;
  top["blocks"] = std::move(blocks);
  std::string headerText = top.dump();
  std::string out;
  out.reserve(8 + sizeof(uint32_t) + sizeof(uint64_t) + headerText.size() + dataBytes + sizeof(uint32_t));
  out.append(magic, 8);
  put(out, version);
  put(out, static_cast<uint64_t>(headerText.size()));
  out += headerText;
  for (const auto& [name, t] : container.blocks)
    if (t.numel() > 0) out.append(reinterpret_cast<const char*>(t.data()), t.numel() * sizeof(float));
  put(out, crcOf(out.data(), out.size()));
  return out;
}

Container decodeContainer(const std::string& path, const std::string& bytes, const char magic[8],
                          uint32_t maxVersion, const std::string& kind) {
  std::string magicText(magic, 8);
  if (bytes.size() < 8 || std::memcmp(bytes.data(), magic, 8) != 0)
    throw InputError(path + ": not a shoal " + kind + " (expected the magic \"" + magicText + "\" at offset 0)");
  Reader r(path, bytes, kind);
  r.take(8, "the magic");
  auto version = r.get<uint32_t>("the format version");
  if (version > maxVersion || version == 0)
    throw InputError(path + ": " + kind + " format version " + std::to_string(version) +
                     " is not supported (this shoal reads version " + std::to_string(maxVersion) +
                     "; a newer shoal wrote it?)");
  auto headerBytes = r.get<uint64_t>("the header length");
  const char* headerText = r.take(headerBytes, "the header");
  if (bytes.size() < sizeof(uint32_t) + r.position())
    throw InputError(path + ": truncated " + kind + ": no checksum");
  const size_t dataEnd = bytes.size() - sizeof(uint32_t);
  uint32_t stored;
  std::memcpy(&stored, bytes.data() + dataEnd, sizeof stored);
  if (crcOf(bytes.data(), dataEnd) != stored)
    throw InputError(path + ": corrupt " + kind + " (checksum mismatch: the file was truncated or altered)");

  Container c;
  std::vector<std::pair<std::string, std::vector<int64_t>>> layout;
  try {
    c.header = nlohmann::json::parse(headerText, headerText + headerBytes);
    for (const auto& b : c.header.at("blocks"))
      layout.emplace_back(b.at("name").get<std::string>(), b.at("shape").get<std::vector<int64_t>>());
    c.header.erase("blocks");
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path + ": corrupt " + kind + " header: " + e.what());
  }
  for (const auto& [name, dims] : layout) {
    const size_t left = (dataEnd - r.position()) / sizeof(float);
    bool fits = dims.size() <= Shape::kMaxRank;
    uint64_t numel = 1;
    for (int64_t d : dims) {
      fits = fits && d >= 0 && (d == 0 || numel <= left / static_cast<uint64_t>(d));
      if (fits) numel *= static_cast<uint64_t>(d);
    }
    if (!fits || numel > left)
      throw InputError(path + ": corrupt " + kind + ": block \"" + name + "\" of shape " +
                       nlohmann::json(dims).dump() + " does not fit the " + std::to_string(left) +
                       " values left in the file");
    Tensor t{Shape(dims)};
    if (numel > 0) std::memcpy(t.data(), r.take(numel * sizeof(float), "a block"), numel * sizeof(float));
    c.blocks.emplace_back(name, std::move(t));
  }
  if (r.position() != dataEnd)
    throw InputError(path + ": corrupt " + kind + ": " + std::to_string(dataEnd - r.position()) +
                     " unexpected bytes before the checksum");
  return c;
}

std::string readFileBytes(const std::string& path, const std::string& kind) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open the " + kind);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw InputError(path + ": cannot read the " + kind);
  return bytes;
}

}  // namespace shoal::io
