// The table cache file: fingerprints of the source, streaming write and rename, mapped read with checks.
#include "shoal/data/table_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "shoal/data/file_bytes.hpp"
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
  const nlohmann::json header{{"key", key},
                              {"schema", table.schema.toJson()},
                              {"width", width},
                              {"train_rows", trainRows},
                              {"test_rows", testRows},
                              {"train_labelled", table.train.hasLabels()},
                              {"test_labelled", table.test && table.test->hasLabels()},
                              {"total_train_rows", table.trainRows},
                              {"total_test_rows", table.testRows},
                              {"crc32", crc}};
  const std::string text = header.dump();
  const uint64_t length = text.size();
  std::string prefix(kMagic, 8);
  prefix.append(reinterpret_cast<const char*>(&kVersion), 4);
  prefix.append(reinterpret_cast<const char*>(&length), 8);
  prefix += text;
  prefix.resize(padded(prefix.size()), '\0');
  const std::string temporary = path + ".tmp" + std::to_string(::getpid());
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
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::remove(temporary.c_str());
    throw OutputError(path + ": cannot write the table cache: " + ec.message());
  }
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
  if (crcUpdate(0, bytes.data() + start, bytes.size() - start) != crc) return damaged("checksum mismatch");
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
