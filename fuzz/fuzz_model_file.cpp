// libFuzzer target: loading model files and checkpoints, with the checksum optionally repaired to reach the header.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include <nlohmann/json.hpp>

#include "input_file.hpp"
#include "shoal/error.hpp"
#include "shoal/io/checkpoint.hpp"
#include "shoal/io/model_file.hpp"
#include "spec_bounds.hpp"

namespace {

// Magic (8) + version (4) + header length (8).
constexpr size_t kPrefixBytes = 20;

// True when the file's JSON header (if it parses) asks only for small layers and inputs.
bool headerWithinBounds(const std::vector<uint8_t>& file) {
  if (file.size() < kPrefixBytes) return true;
  uint64_t headerBytes;
  std::memcpy(&headerBytes, file.data() + 12, sizeof headerBytes);
  if (headerBytes > file.size() - kPrefixBytes) return true;
  const uint8_t* text = file.data() + kPrefixBytes;
  nlohmann::json header = nlohmann::json::parse(text, text + headerBytes, nullptr, false);
  if (header.is_discarded() || !header.is_object()) return true;
  // Model files keep the input shape at the top level, checkpoints under "info".
  const nlohmann::json& info = header.contains("info") ? header["info"] : header;
  return (!header.contains("spec") || shoal::fuzz::integersWithin(header["spec"], 32)) &&
         (!info.is_object() || !info.contains("input_shape") ||
          shoal::fuzz::integersWithin(info["input_shape"], 16));
}

}  // namespace

// Input: one mode byte, then the file. Mode bit 0 rewrites the last four bytes as the CRC-32 of
// the rest, so that mutations get past the checksum to the header and the weights; mode bit 1
// reads the file as a checkpoint (and rebuilds its model) instead of as a model file.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static shoal::fuzz::FuzzInputFile file("model");
  if (size < 1) return 0;
  std::vector<uint8_t> bytes(data + 1, data + size);
  if ((data[0] & 1) && bytes.size() >= 4) {
    uint32_t crc = static_cast<uint32_t>(crc32(crc32(0L, Z_NULL, 0), bytes.data(),
                                               static_cast<uInt>(bytes.size() - 4)));
    std::memcpy(bytes.data() + bytes.size() - 4, &crc, sizeof crc);
  }
  if (!headerWithinBounds(bytes)) return 0;
  try {
    const std::string& path = file.write(bytes.data(), bytes.size());
    if (data[0] & 2) {
      shoal::io::Checkpoint checkpoint = shoal::io::readCheckpoint(path);
      if (!shoal::io::restoreModel(checkpoint, path)) __builtin_trap();
    } else {
      shoal::io::LoadedModel loaded = shoal::io::loadModel(path);
      if (!loaded.model) __builtin_trap();
    }
  } catch (const shoal::Error&) {
  }
  return 0;
}
