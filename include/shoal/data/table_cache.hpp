// The table cache: a rank's encoded rows of a typed table in a binary file that later runs map (mmap) instead of parsing the CSV.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "shoal/data/dataset.hpp"
#include "shoal/data/table_schema.hpp"

namespace shoal::data {

// What a cache was made from: a CSV file's size, modification time and a CRC-32 of its first and
// last 64 KiB. A changed file almost always changes one of them (an edit in the middle that keeps
// the size and the modification time does not: touch the file, or delete the cache).
nlohmann::json sourceFingerprint(const std::string& csvPath);

struct CachedTable {
  TableSchema schema;
  Dataset train;
  std::optional<Dataset> test;
  int64_t trainRows = 0, testRows = 0;  // over all ranks
};

// Layout (little-endian): "SHOALTBC", u32 version, u64 header length, the header JSON {"key",
// "schema", "width", "train_rows", "test_rows", "total_train_rows", "total_test_rows", "crc32"}, zero
// padding to a multiple of 64 bytes, then the payload: training rows [n, width] f32, their labels
// [n] i32, then the same for the test rows; "crc32" covers the payload. Written to a temporary
// file and renamed, so a reader sees a whole cache or none. OutputError when it cannot be written.
void writeTableCache(const std::string& path, const nlohmann::json& key, const CachedTable& table);

// The cache at `path` when its "key" equals `key` (the sources' fingerprints and every setting
// that changes the rows); the rows stay in the mapped file (Dataset::borrowFloats), read as
// batches touch them. nullopt, with `why` set, when the file is missing, stale (another key) or
// damaged (truncated, a checksum that does not match, a malformed header): the caller rebuilds it.
std::optional<CachedTable> openTableCache(const std::string& path, const nlohmann::json& key, std::string& why);

}  // namespace shoal::data
