// The binary container model files and checkpoints share: magic, version, JSON header, float32 blocks, CRC-32.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "shoal/tensor/tensor.hpp"

namespace shoal::io {

// Layout (little-endian):
//   8 bytes       the magic of the file kind ("SHOALMDL", "SHOALCKP")
//   u32 version   the kind's format version
//   u64 length    then that many bytes of JSON: the caller's header object with the key
//                 "blocks": [{"name": ..., "shape": [...]}, ...] added
//   f32 x ...     each block's values, in the order of "blocks"
//   u32 crc32     of every byte before it
struct Container {
  nlohmann::json header;
  std::vector<std::pair<std::string, Tensor>> blocks;

  // The block called `name`, or null.
  const Tensor* find(const std::string& name) const;
};

// Throws UsageError when the header is not an object or already has a "blocks" key.
std::string encodeContainer(const char magic[8], uint32_t version, const Container& container);

// Decodes the bytes of the file `path`; throws InputError starting with `path` for a truncated,
// corrupt (checksum mismatch, malformed header, block sizes that disagree with the file),
// foreign (another magic) or newer (version above maxVersion) file. `kind` names the file kind
// in messages: "model file", "checkpoint".
Container decodeContainer(const std::string& path, const std::string& bytes, const char magic[8],
                          uint32_t maxVersion, const std::string& kind);

// The whole file; InputError "<path>: cannot open the <kind>" when it cannot be read.
std::string readFileBytes(const std::string& path, const std::string& kind);

}  // namespace shoal::io
