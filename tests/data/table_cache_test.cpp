// The table cache: the same batches as the CSV, a changed source or setting noticed, damage detected; the block shuffle.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "data/temp_dir.hpp"
#include "shoal/data/epoch_order.hpp"
#include "shoal/data/table_cache.hpp"
#include "shoal/data/table_reader.hpp"
#include "shoal/error.hpp"

using namespace shoal;

namespace {

data::CachedTable readCsv(const std::string& path) {
  auto single = dist::singleProcess();
  data::TableOptions o;
  o.labelColumn = "y";
  const data::TableLayout layout = data::inspectTable(path, o);
  data::RawTable raw = data::readTableRows(layout, o, nullptr, *single);
  data::CachedTable t;
  t.schema = data::fitTableSchema(raw, layout, o, *single);
  data::mapToSchema(raw, layout, t.schema);
  t.train = data::encodeTable(raw, layout, t.schema);
  t.trainRows = t.train.size();
  return t;
}

std::string csvText(int rows, int shift) {
  std::string text = "y,x,c\n";
  for (int i = 0; i < rows; ++i)
    text += std::string(i % 3 ? "yes" : "no") + "," + (i % 5 ? std::to_string(i + shift) : "") + ",k" + std::to_string(i % 4) + "\n";
  return text;
}

}  // namespace

TEST(TableCache, GivesTheSameBatchesAsTheCsvAndNoticesChanges) {
  shoal::testing::TempDir dir;
  const std::string csv = dir.write("t.csv", csvText(300, 0));
  const std::string cache = dir.file("t.shoaltable");
  const data::CachedTable fromCsv = readCsv(csv);
  const nlohmann::json key{{"source", data::sourceFingerprint(csv)}, {"setting", 1}};
  data::writeTableCache(cache, key, fromCsv);
  std::string why;
  auto cached = data::openTableCache(cache, key, why);
  ASSERT_TRUE(cached) << why;
  EXPECT_EQ(cached->schema.toJson(), fromCsv.schema.toJson());
  ASSERT_EQ(cached->train.size(), 300);
  data::EpochOrder order(300, 5);
  Tensor a, b, ta, tb;
  for (int64_t batch = 0; batch < order.batchCount(64, false); ++batch) {
    fromCsv.train.gather(order.batch(batch, 64), a, ta);
    cached->train.gather(order.batch(batch, 64), b, tb);
    EXPECT_EQ(a.toVector(), b.toVector());
    EXPECT_EQ(ta.toVector(), tb.toVector());
  }
  // Another setting, or the source rewritten with the same size: stale.
  EXPECT_FALSE(data::openTableCache(cache, {{"source", data::sourceFingerprint(csv)}, {"setting", 2}}, why));
  EXPECT_EQ(why, "its source or settings changed");
  dir.write("t.csv", csvText(300, 1).substr(0, std::filesystem::file_size(csv)));
  EXPECT_NE(data::sourceFingerprint(csv), key["source"]);
  // A flipped payload byte, or a truncated file: damaged, never wrong rows.
  std::vector<uint8_t> bytes = shoal::testing::readBytes(cache);
  bytes[bytes.size() - 10] ^= 0x40;
  dir.write("t.shoaltable", bytes);
  EXPECT_FALSE(data::openTableCache(cache, key, why));
  EXPECT_EQ(why, "the cache is damaged (checksum mismatch)");
  bytes.resize(bytes.size() - 4);
  dir.write("t.shoaltable", bytes);
  EXPECT_FALSE(data::openTableCache(cache, key, why));
  EXPECT_NE(why.find("its size does not match"), std::string::npos) << why;
  EXPECT_FALSE(data::openTableCache(dir.file("none"), key, why));
}

// A byte changed in the middle of a 250 KB file (past the first and last 64 KiB that an earlier
// fingerprint read), its size and modification time put back: the
// fingerprint of the share holding it changes, the other share's does not; the same bytes
// rewritten (a touch) keep the fingerprint.
TEST(TableCache, FingerprintNoticesAnEditThatKeepsSizeAndModificationTime) {
  shoal::testing::TempDir dir;
  std::string text = csvText(20000, 0);
  const std::string csv = dir.write("t.csv", text);
  const nlohmann::json whole = data::sourceFingerprint(csv), first = data::sourceFingerprint(csv, 0, 2),
                       second = data::sourceFingerprint(csv, 1, 2);
  struct stat before {};
  ASSERT_EQ(::stat(csv.c_str(), &before), 0);
  dir.write("t.csv", text);
  EXPECT_EQ(data::sourceFingerprint(csv), whole);
  const size_t middle = text.find_first_of("0123456789", text.size() / 2);  // in the second half
  text[middle] = text[middle] == '7' ? '8' : '7';
  dir.write("t.csv", text);
  const timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, csv.c_str(), times, 0), 0);
  struct stat after {};
  ASSERT_EQ(::stat(csv.c_str(), &after), 0);
  ASSERT_EQ(after.st_size, before.st_size);
  ASSERT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
  ASSERT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
  EXPECT_NE(data::sourceFingerprint(csv), whole);
  EXPECT_EQ(data::sourceFingerprint(csv, 0, 2), first);
  EXPECT_NE(data::sourceFingerprint(csv, 1, 2), second);
  std::string why;
  const std::string cache = dir.file("t.shoaltable");
  data::writeTableCache(cache, {{"source", whole}}, readCsv(csv));
  EXPECT_FALSE(data::openTableCache(cache, {{"source", data::sourceFingerprint(csv)}}, why));
  EXPECT_EQ(why, "its source or settings changed");
  EXPECT_THROW(data::sourceFingerprint(dir.file("none.csv")), InputError);
}

// A cache encoded straight into the file (raw rows in, 70,000 rows: two chunks) holds the same
// rows, labels and schema as one written from the encoded rows, and opens with its checksum.
TEST(TableCache, EncodedIntoTheFileItHoldsWhatTheEncodedRowsHold) {
  shoal::testing::TempDir dir;
  const std::string csv = dir.write("t.csv", csvText(70000, 0));
  const data::CachedTable fromRows = readCsv(csv);
  auto single = dist::singleProcess();
  data::TableOptions o;
  o.labelColumn = "y";
  const data::TableLayout layout = data::inspectTable(csv, o);
  data::RawTable raw = data::readTableRows(layout, o, nullptr, *single);
  data::mapToSchema(raw, layout, fromRows.schema);
  data::RawTable test = raw.extract({3, 5, 69999});
  const nlohmann::json key{{"source", "t"}};
  data::writeTableCache(dir.file("streamed"), key, fromRows.schema, {std::move(raw), layout, 0},
                        data::RawSet{std::move(test), layout, 2}, 69997, 2);
  std::string why;
  auto streamed = data::openTableCache(dir.file("streamed"), key, why);
  ASSERT_TRUE(streamed) << why;
  EXPECT_EQ(streamed->schema.toJson(), fromRows.schema.toJson());
  EXPECT_EQ(streamed->trainRows, 69997);
  EXPECT_EQ(streamed->testRows, 2);
  ASSERT_EQ(streamed->train.size(), 69997);
  ASSERT_TRUE(streamed->test);
  ASSERT_EQ(streamed->test->size(), 2);  // the limit: the first two of the three
  const int64_t width = fromRows.schema.width();
  const auto* all = static_cast<const float*>(fromRows.train.sampleMemory());
  const auto* kept = static_cast<const float*>(streamed->train.sampleMemory());
  const auto* held = static_cast<const float*>(streamed->test->sampleMemory());
  for (int64_t i = 0, k = 0; i < 70000; ++i) {
    const bool out = i == 3 || i == 5 || i == 69999;
    if (i == 69999) continue;  // past the test set's limit
    const float* row = out ? held + (i == 3 ? 0 : 1) * width : kept + (k++) * width;
    ASSERT_TRUE(std::equal(row, row + width, all + i * width)) << "row " << i;
    EXPECT_EQ(out ? streamed->test->labels()[i == 3 ? 0 : 1] : streamed->train.labels()[static_cast<size_t>(k - 1)],
              fromRows.train.labels()[static_cast<size_t>(i)]);
  }
}

TEST(EpochOrder, BlockShuffleIsAReproduciblePermutationThatStaysInAWindow) {
  const int64_t size = 1003, block = 10;
  data::EpochOrder a(size, 9, true, block), b(size, 9, true, block);
  const std::vector<int64_t> first = a.forEpoch(2);
  EXPECT_EQ(first, b.forEpoch(2));
  EXPECT_NE(first, a.forEpoch(3));
  std::vector<int64_t> sorted = first;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < size; ++i) ASSERT_EQ(sorted[static_cast<size_t>(i)], i);
  // Each window of kWindowBlocks * block positions reads about kWindowBlocks blocks.
  const int64_t window = block * data::EpochOrder::kWindowBlocks;
  for (int64_t start = 0; start < size; start += window) {
    std::set<int64_t> blocks;
    for (int64_t i = start; i < std::min(size, start + window); ++i) blocks.insert(first[static_cast<size_t>(i)] / block);
    EXPECT_LE(static_cast<int64_t>(blocks.size()), data::EpochOrder::kWindowBlocks + 1);  // + the short last block
  }
  EXPECT_NE(first, std::vector<int64_t>(sorted.begin(), sorted.end()));
}

// The fuzz target's seed is a whole, valid cache, so fuzzing starts past the header checks.
TEST(TableCache, TheFuzzSeedIsAValidCache) {
  std::string why;
  auto t = data::openTableCache(std::string(SHOAL_FIXTURES_DIR) + "/../../fuzz/corpus/fuzz_table_cache/valid",
                                {{"fuzz", 1}}, why);
  ASSERT_TRUE(t) << why;
  EXPECT_EQ(t->train.size(), 2);
  ASSERT_TRUE(t->test);
  EXPECT_EQ(t->test->labels(), (std::vector<int32_t>{1}));
  EXPECT_EQ(t->schema.classNames, (std::vector<std::string>{"bad", "good"}));
}
