// The table cache: a rank's encoded rows of a typed table in a binary file that later runs map (mmap) instead of parsing the CSV.
#pragma once
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "shoal/data/dataset.hpp"
#include "shoal/data/table_reader.hpp"
#include "shoal/data/table_schema.hpp"

namespace shoal::data {

// What a cache was made from: a CSV file's path, size and a CRC-32 of every byte of its share
// `part` of `parts` (bytes [size*part/parts, size*(part+1)/parts)), read in 1 MiB pieces with
// pread, so the file's pages do not stay in the process's memory. The ranks of a run each check
// their own share, which together cover the whole file: any change of the content is noticed but
// for a CRC-32 collision (about 1 in 4 billion), whatever the modification time says; a file
// touched or copied with the same bytes still matches. Computed before the rows are read, so a
// file changed while the cache is built makes the cache stale, never wrong.
nlohmann::json sourceFingerprint(const std::string& csvPath, int part = 0, int parts = 1);

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

// One set of a table's rows still to be encoded: the raw rows (consumed by the writer), their
// file's layout, and how many to keep (0: all).
struct RawSet {
  RawTable rows;
  TableLayout layout;
  int64_t limit = 0;
  // The rows kept: all of them, or the first `limit` when it is positive.
  int64_t kept() const { return limit > 0 ? std::min(limit, rows.rows) : rows.rows; }
};

// The same cache, encoded straight into the file: the temporary file is sized (its blocks
// reserved), mapped shared, and each chunk of 65,536 encoded rows is written into the mapping,
// added to the checksum and let go from this process's memory, while the raw columns it came from
// are released too. Building a cache thus holds the raw rows, never the whole encoded share.
// `totalTrainRows`/`totalTestRows`: over all ranks. OutputError when it cannot be written.
void writeTableCache(const std::string& path, const nlohmann::json& key, const TableSchema& schema, RawSet train,
                     std::optional<RawSet> test, int64_t totalTrainRows, int64_t totalTestRows);

// The cache at `path` when its "key" equals `key` (the sources' fingerprints and every setting
// that changes the rows); the rows stay in the mapped file (Dataset::borrowFloats), read as
// batches touch them. nullopt, with `why` set, when the file is missing, stale (another key) or
// damaged (truncated, a checksum that does not match, a malformed header): the caller rebuilds it.
std::optional<CachedTable> openTableCache(const std::string& path, const nlohmann::json& key, std::string& why);

}  // namespace shoal::data
