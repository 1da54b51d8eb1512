// The table cache file: fingerprints of the source, streaming write and rename, mapped read with checks.
#include "shoal/data/table_cache.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "shoal/data/file_bytes.hpp"
#include "shoal/data/table_reader.hpp"
#include "shoal/error.hpp"

namespace shoal::data {
namespace {

constexpr char kMagic[8] = {'S', 'H', 'O', 'A', 'L', 'T', 'B', 'C'};
constexpr uint32_t kVersion = 1;
constexpr size_t kAlign = 64;

uint32_t crcUpdate(uint32_t crc, const void* data, size_t size) {
  uLong c = crc;
  const auto* p = static_cast<const Bytef*>(data);
  while (size > 0) {
    const auto chunk = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    c = crc32(c, p, chunk);
    p += chunk;
    size -= chunk;
  }
  return static_cast<uint32_t>(c);
}

size_t padded(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

const float* floatsOf(const Dataset& d) { return static_cast<const float*>(d.sampleMemory()); }

}  // namespace

nlohmann::json sourceFingerprint(const std::string& csvPath, int part, int parts) {
  const int fd = ::open(csvPath.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    throw InputError::at(csvPath, 0, 0, "cannot open: " + why);
  }
  const auto size = static_cast<uint64_t>(st.st_size);
  const uint64_t begin = size * static_cast<uint64_t>(part) / static_cast<uint64_t>(parts);
  const uint64_t end = size * static_cast<uint64_t>(part + 1) / static_cast<uint64_t>(parts);
  std::vector<char> buffer(1 << 20);
  uint32_t crc = 0;
  for (uint64_t at = begin; at < end;) {
    const ssize_t got = ::pread(fd, buffer.data(), std::min<uint64_t>(buffer.size(), end - at), static_cast<off_t>(at));
    if (got <= 0) {
      ::close(fd);
      throw InputError::at(csvPath, 0, 0, got < 0 ? std::string("cannot read: ") + std::strerror(errno)
                                                   : std::string("it became shorter while being read"));
    }
    crc = crcUpdate(crc, buffer.data(), static_cast<size_t>(got));
    at += static_cast<uint64_t>(got);
  }
  ::close(fd);
  return {{"path", std::filesystem::absolute(csvPath).string()},
          {"size", size},
          {"share", {part, parts}},
          {"content_crc32", crc}};
}

namespace {

// What the header says of one set of rows.
struct SetSizes {
  int64_t rows = 0;
  bool labelled = false;
};

// The file's bytes before the payload: magic, version, header length, the header JSON (padded
// with spaces to at least `minLength`: JSON allows trailing whitespace), zeros to 64 bytes.
std::string prefixOf(const nlohmann::json& key, const TableSchema& schema, SetSizes train, SetSizes test,
                     int64_t totalTrain, int64_t totalTest, uint32_t crc, size_t minLength = 0) {
  const nlohmann::json header{{"key", key},
                              {"schema", schema.toJson()},
                              {"width", schema.width()},
                              {"train_rows", train.rows},
                              {"test_rows", test.rows},
                              {"train_labelled", train.labelled},
                              {"test_labelled", test.labelled},
                              {"total_train_rows", totalTrain},
                              {"total_test_rows", totalTest},
                              {"crc32", crc}};
  std::string text = header.dump();
  if (text.size() < minLength) text.resize(minLength, ' ');
  const uint64_t length = text.size();
  std::string prefix(kMagic, 8);
  prefix.append(reinterpret_cast<const char*>(&kVersion), 4);
  prefix.append(reinterpret_cast<const char*>(&length), 8);
  prefix += text;
  prefix.resize(padded(prefix.size()), '\0');
  return prefix;
}

// Renames the finished temporary file over `path` (a reader sees a whole cache or none).
void publish(const std::string& temporary, const std::string& path) {
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::remove(temporary.c_str());
    throw OutputError(path + ": cannot write the table cache: " + ec.message());
  }
}

std::string temporaryFor(const std::string& path) { return path + ".tmp" + std::to_string(::getpid()); }

}  // namespace

void writeTableCache(const std::string& path, const nlohmann::json& key, const CachedTable& table) {
  const int64_t width = table.schema.width();
  const int64_t trainRows = table.train.size(), testRows = table.test ? table.test->size() : 0;
  uint32_t crc = 0;
  auto part = [&](const void* data, size_t bytes) { crc = crcUpdate(crc, data, bytes); };
  part(floatsOf(table.train), static_cast<size_t>(trainRows * width) * sizeof(float));
  part(table.train.labels().data(), table.train.labels().size() * sizeof(int32_t));
  if (table.test) {
    part(floatsOf(*table.test), static_cast<size_t>(testRows * width) * sizeof(float));
    part(table.test->labels().data(), table.test->labels().size() * sizeof(int32_t));
  }
  const std::string prefix = prefixOf(key, table.schema, {trainRows, table.train.hasLabels()},
                                      {testRows, table.test && table.test->hasLabels()}, table.trainRows,
                                      table.testRows, crc);
  const std::string temporary = temporaryFor(path);
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    auto write = [&](const void* data, size_t bytes) { out.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes)); };
    write(prefix.data(), prefix.size());
    write(floatsOf(table.train), static_cast<size_t>(trainRows * width) * sizeof(float));
    write(table.train.labels().data(), table.train.labels().size() * sizeof(int32_t));
    if (table.test) {
      write(floatsOf(*table.test), static_cast<size_t>(testRows * width) * sizeof(float));
      write(table.test->labels().data(), table.test->labels().size() * sizeof(int32_t));
    }
    out.flush();
    if (!out) {
      std::remove(temporary.c_str());
      throw OutputError(path + ": cannot write the table cache");
    }
  }
  publish(temporary, path);
}

void writeTableCache(const std::string& path, const nlohmann::json& key, const TableSchema& schema, RawSet train,
                     std::optional<RawSet> test, int64_t totalTrainRows, int64_t totalTestRows) {
  const int64_t width = schema.width();
  auto sizes = [](const RawSet& set) {
    const int64_t rows = set.kept();
    return SetSizes{rows, set.layout.keepLabels && !set.rows.labels.empty()};
  };
  const SetSizes trainSizes = sizes(train), testSizes = test ? sizes(*test) : SetSizes{};
  // The header's length is fixed first, with the largest checksum; the real one replaces it at the end.
  const std::string draft = prefixOf(key, schema, trainSizes, testSizes, totalTrainRows, totalTestRows, 0xFFFFFFFFu);
  uint64_t headerLength;
  std::memcpy(&headerLength, draft.data() + 12, 8);
  auto setBytes = [&](SetSizes z) {
    return static_cast<size_t>(z.rows) * (static_cast<size_t>(width) * sizeof(float) + (z.labelled ? sizeof(int32_t) : 0));
  };
  const size_t total = draft.size() + setBytes(trainSizes) + setBytes(testSizes);
  const std::string temporary = temporaryFor(path);
  const int fd = ::open(temporary.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  auto fail = [&](const std::string& what) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    std::remove(temporary.c_str());
    throw OutputError(path + ": cannot write the table cache: " + what + ": " + why);
  };
  if (fd < 0) fail("create");
  // Blocks reserved up front: a full disk is this error, not a SIGBUS while writing the mapping.
  if (const int e = ::posix_fallocate(fd, 0, static_cast<off_t>(total)); e != 0) {
    errno = e;
    fail("reserve " + std::to_string(total) + " bytes");
  }
  void* map = ::mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) fail("map");
  auto* bytes = static_cast<char*>(map);
  // Lets go of the mapping's whole pages in [begin, end): written, they stay in the page cache
  // (and go to the file) without counting in this process's memory.
  auto release = [&](size_t begin, size_t end) { releasePages(bytes + begin, bytes + end); };
  uint32_t crc = 0;
  size_t at = draft.size();
  auto encode = [&](RawSet& set, SetSizes z) {
    auto* values = reinterpret_cast<float*>(bytes + at);
    const size_t rowBytes = static_cast<size_t>(width) * sizeof(float);
    const std::vector<int32_t> labels =
        encodeTableInto(std::move(set.rows), set.layout, schema, z.rows, values, [&](int64_t begin, int64_t end) {
          const size_t from = at + static_cast<size_t>(begin) * rowBytes, to = at + static_cast<size_t>(end) * rowBytes;
          crc = crcUpdate(crc, bytes + from, to - from);
          release(from, to);
        });
    at += static_cast<size_t>(z.rows) * rowBytes;
    if (z.labelled) {
      std::memcpy(bytes + at, labels.data(), labels.size() * sizeof(int32_t));
      crc = crcUpdate(crc, bytes + at, labels.size() * sizeof(int32_t));
      at += labels.size() * sizeof(int32_t);
    }
  };
  encode(train, trainSizes);
  if (test) encode(*test, testSizes);
  const std::string prefix =
      prefixOf(key, schema, trainSizes, testSizes, totalTrainRows, totalTestRows, crc, static_cast<size_t>(headerLength));
  std::memcpy(bytes, prefix.data(), prefix.size());
  const bool synced = ::msync(map, total, MS_SYNC) == 0;
  ::munmap(map, total);
  if (!synced) fail("write back");
  ::close(fd);
  publish(temporary, path);
}

std::optional<CachedTable> openTableCache(const std::string& path, const nlohmann::json& key, std::string& why) {
  if (!std::filesystem::is_regular_file(path)) {
    why = "no cache yet";
    return std::nullopt;
  }
  auto file = std::make_shared<FileBytes>(path);
  const std::string_view bytes = file->view();
  auto damaged = [&](const std::string& what) {
    why = "the cache is damaged (" + what + ")";
    return std::nullopt;
  };
  if (bytes.size() < 20 || std::memcmp(bytes.data(), kMagic, 8) != 0) return damaged("not a table cache");
  uint32_t version;
  uint64_t length;
  std::memcpy(&version, bytes.data() + 8, 4);
  std::memcpy(&length, bytes.data() + 12, 8);
  if (version != kVersion) return damaged("format version " + std::to_string(version));
  if (length > bytes.size() - 20) return damaged("truncated header");
  CachedTable t;
  int64_t width, trainRows, testRows;
  bool trainLabelled, testLabelled;
  uint32_t crc;
  try {
    const nlohmann::json header = nlohmann::json::parse(bytes.substr(20, length));
    if (header.at("key") != key) {
      why = "its source or settings changed";
      return std::nullopt;
    }
    t.schema = TableSchema::fromJson(header.at("schema"), path);
    width = header.at("width").get<int64_t>();
    trainRows = header.at("train_rows").get<int64_t>();
    testRows = header.at("test_rows").get<int64_t>();
    trainLabelled = header.at("train_labelled").get<bool>();
    testLabelled = header.at("test_labelled").get<bool>();
    t.trainRows = header.at("total_train_rows").get<int64_t>();
    t.testRows = header.at("total_test_rows").get<int64_t>();
    crc = header.at("crc32").get<uint32_t>();
  } catch (const std::exception& e) {
    return damaged(std::string("header: ") + e.what());
  }
  if (width != t.schema.width() || trainRows < 0 || testRows < 0 || width <= 0) return damaged("sizes");
  const size_t start = padded(20 + length);
  const auto rowBytes = static_cast<size_t>(width) * sizeof(float);
  auto setBytes = [&](int64_t rows, bool labelled) {
    return static_cast<size_t>(rows) * (rowBytes + (labelled ? sizeof(int32_t) : 0));
  };
  if (static_cast<size_t>(trainRows) > bytes.size() / rowBytes || static_cast<size_t>(testRows) > bytes.size() / rowBytes ||
      start + setBytes(trainRows, trainLabelled) + setBytes(testRows, testLabelled) != bytes.size())
    return damaged("its size does not match its header");
  // Checked 4 MiB at a time, each piece's pages let go after it: the check reads the whole file
  // without making it resident in this process (training maps back what it touches).
  uint32_t sum = 0;
  constexpr size_t kPiece = 4 << 20;
  for (size_t at = start; at < bytes.size(); at += kPiece) {
    const size_t piece = std::min(kPiece, bytes.size() - at);
    sum = crcUpdate(sum, bytes.data() + at, piece);
    file->release(at, at + piece);
  }
  if (sum != crc) return damaged("checksum mismatch");
  size_t at = start;
  auto take = [&](int64_t rows, bool labelled) {
    const auto* values = reinterpret_cast<const float*>(bytes.data() + at);
    at += static_cast<size_t>(rows) * rowBytes;
    std::vector<int32_t> labels;
    if (labelled) {
      labels.resize(static_cast<size_t>(rows));
      std::memcpy(labels.data(), bytes.data() + at, labels.size() * sizeof(int32_t));
      at += labels.size() * sizeof(int32_t);
      for (int32_t l : labels)
        if (l < 0 || l >= t.schema.classes) throw InputError(path + ": damaged table cache: a label outside the classes");
    }
    return Dataset::borrowFloats(Shape{width}, values, rows, std::move(labels), static_cast<int>(t.schema.classes), file);
  };
  try {
    t.train = take(trainRows, trainLabelled);
    if (testRows > 0) t.test = take(testRows, testLabelled);
  } catch (const InputError& e) {
    return damaged(e.what());
  }
  return t;
}

}  // namespace shoal::data
