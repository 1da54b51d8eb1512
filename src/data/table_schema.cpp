// TableSchema: fitting it on every rank's training rows (sums, a median bisection, merged vocabularies), its JSON form, and encoding rows with it.
#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <functional>
#include <memory>
#include <set>

#include "shoal/data/file_bytes.hpp"
#include "shoal/data/table_reader.hpp"
#include "shoal/error.hpp"

namespace shoal::data {
namespace {

std::string shown(const std::string& s) { return "\"" + s.substr(0, 40) + (s.size() > 40 ? "...\"" : "\""); }

// Strings as length-prefixed bytes, for an all-gather.
std::string pack(const std::vector<std::string>& strings) {
  std::string out;
  for (const std::string& s : strings) {
    const uint64_t n = s.size();
    out.append(reinterpret_cast<const char*>(&n), sizeof n);
    out.append(s);
  }
  return out;
}

void unpackInto(const std::string& bytes, std::set<std::string>& out) {
  size_t pos = 0;
  while (pos + sizeof(uint64_t) <= bytes.size()) {
    uint64_t n;
    std::copy_n(bytes.data() + pos, sizeof n, reinterpret_cast<char*>(&n));
    pos += sizeof n;
    out.insert(bytes.substr(pos, n));
    pos += n;
  }
}

// The union of every rank's `local` strings, sorted by byte value (the same on every rank).
std::vector<std::string> mergedVocabulary(const std::vector<std::string>& local, dist::Communicator& comm) {
  std::set<std::string> all(local.begin(), local.end());
  if (comm.size() > 1) {
    all.clear();
    for (const std::string& bytes : comm.allGatherStrings(pack(local))) unpackInto(bytes, all);
  }
  return {all.begin(), all.end()};
}

// Floats mapped to unsigned keys in the same order (negative values flipped).
uint32_t orderKey(float f) {
  const auto b = std::bit_cast<uint32_t>(f);
  return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}
float fromOrderKey(uint32_t k) { return std::bit_cast<float>((k & 0x80000000u) ? (k & 0x7FFFFFFFu) : ~k); }

// The k-th smallest (0-based) non-missing value of each `columns[i]` over all ranks, for every
// (column, k) target at once: a bisection over the 32-bit order keys, one all-reduce of counts
// per bit. Exact, and the same on every rank whatever the shares.
std::vector<float> kthSmallest(const std::vector<const std::vector<float>*>& columns, const std::vector<int64_t>& ks,
                               dist::Communicator& comm) {
  const size_t n = ks.size();
  std::vector<uint64_t> lo(n, 0), hi(n, 0xFFFFFFFFu);
  std::vector<double> counts(n);
  for (int round = 0; round < 32; ++round) {
    for (size_t t = 0; t < n; ++t) {
      const uint64_t mid = lo[t] + (hi[t] - lo[t]) / 2;
      int64_t count = 0;
      for (float v : *columns[t]) count += !std::isnan(v) && orderKey(v) <= mid;
      counts[t] = static_cast<double>(count);
    }
    comm.allReduce(std::span<double>(counts), dist::ReduceOp::Sum);
    for (size_t t = 0; t < n; ++t) {
      const uint64_t mid = lo[t] + (hi[t] - lo[t]) / 2;
      if (counts[t] >= static_cast<double>(ks[t] + 1)) hi[t] = mid;
      else lo[t] = mid + 1;
    }
  }
  std::vector<float> out(n);
  for (size_t t = 0; t < n; ++t) out[t] = fromOrderKey(static_cast<uint32_t>(lo[t]));
  return out;
}

bool listed(const std::vector<std::string>& selectors, const std::string& name, size_t index) {
  return std::any_of(selectors.begin(), selectors.end(),
                     [&](const std::string& s) { return s == name || s == std::to_string(index); });
}

}  // namespace

bool parseIntegerLabel(std::string_view v, int64_t& value) {
  if (!v.empty() && v.front() == '+') v.remove_prefix(1);
  double d;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size() || !std::isfinite(d) || d < 0 ||
      d != std::floor(d) || d >= 2147483647.0)
    return false;
  value = static_cast<int64_t>(d);
  return true;
}

int64_t TableSchema::denseWidth() const {
  int64_t w = 0;
  for (const TableColumn& c : columns) {
    if (c.type == ColumnType::Numeric || c.type == ColumnType::Boolean) w += 1 + c.indicator;
    else if (c.type == ColumnType::Categorical && !c.embedded) w += c.codes();
  }
  return w;
}

int64_t TableSchema::embeddedCount() const {
  return std::count_if(columns.begin(), columns.end(),
                       [](const TableColumn& c) { return c.type == ColumnType::Categorical && c.embedded; });
}

int64_t TableSchema::find(const std::string& name) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i].name == name) return static_cast<int64_t>(i);
  return -1;
}

std::string TableSchema::className(int64_t index) const {
  return classNames.empty() ? std::to_string(index) : classNames[static_cast<size_t>(index)];
}

nlohmann::json TableSchema::toJson() const {
  nlohmann::json cols = nlohmann::json::array();
  for (const TableColumn& c : columns) {
    nlohmann::json j{{"name", c.name}, {"type", columnTypeName(c.type)}};
    if (c.type == ColumnType::Numeric || c.type == ColumnType::Boolean) {
      j["fill"] = c.fill;
      j["center"] = c.center;
      j["scale"] = c.scale;
      j["indicator"] = c.indicator;
    } else if (c.type == ColumnType::Categorical) {
      j["categories"] = c.categories;
      j["embedded"] = c.embedded;
      j["embed_dim"] = c.embedDim;
    }
    cols.push_back(std::move(j));
  }
  return {{"columns", cols},          {"label", labelName},   {"class_names", classNames},
          {"classes", classes},       {"missing", missing},   {"type_errors_as_missing", typeErrorsAsMissing}};
}

TableSchema TableSchema::fromJson(const nlohmann::json& j, const std::string& source) {
  TableSchema s;
  try {
    for (const auto& c : j.at("columns")) {
      TableColumn col;
      col.name = c.at("name").get<std::string>();
      const std::string type = c.at("type").get<std::string>();
      if (type == "numeric" || type == "boolean") {
        col.type = type == "numeric" ? ColumnType::Numeric : ColumnType::Boolean;
        col.fill = c.at("fill").get<double>();
        col.center = c.at("center").get<double>();
        col.scale = c.at("scale").get<double>();
        col.indicator = c.at("indicator").get<bool>();
        if (!std::isfinite(col.fill) || !std::isfinite(col.center) || !std::isfinite(col.scale) || col.scale <= 0)
          throw InputError("column " + shown(col.name) + " has a non-finite fill, center or scale");
      } else if (type == "categorical") {
        col.type = ColumnType::Categorical;
        col.categories = c.at("categories").get<std::vector<std::string>>();
        col.embedded = c.at("embedded").get<bool>();
        col.embedDim = c.at("embed_dim").get<int64_t>();
        if (col.embedded && col.embedDim <= 0) throw InputError("column " + shown(col.name) + " has embed_dim <= 0");
      } else if (type == "ignored") {
        col.type = ColumnType::Ignored;
      } else {
        throw InputError("column " + shown(col.name) + " has the unknown type " + shown(type));
      }
      s.columns.push_back(std::move(col));
    }
    s.labelName = j.at("label").get<std::string>();
    s.classNames = j.at("class_names").get<std::vector<std::string>>();
    s.classes = j.at("classes").get<int64_t>();
    s.missing = j.at("missing").get<std::vector<std::string>>();
    s.typeErrorsAsMissing = j.at("type_errors_as_missing").get<bool>();
    if (s.classes < 0 || (!s.classNames.empty() && static_cast<int64_t>(s.classNames.size()) != s.classes))
      throw InputError("\"classes\" disagrees with \"class_names\"");
  } catch (const nlohmann::json::exception& e) {
    throw InputError(source + ": table schema: " + e.what());
  } catch (const InputError& e) {
    throw InputError(source + ": table schema: " + e.what());
  }
  return s;
}

TableSchema fitTableSchema(const RawTable& raw, const TableLayout& layout, const TableOptions& options,
                           dist::Communicator& comm) {
  if (options.impute != "mean" && options.impute != "median")
    throw UsageError("impute: expected mean or median, got " + shown(options.impute));
  TableSchema schema;
  schema.missing = options.missing;
  schema.typeErrorsAsMissing = options.typeErrorsAsMissing;
  const size_t columns = layout.names.size();
  // Per numeric column: count, sum, sum of squares, missing; per categorical: values, missing.
  std::vector<double> sums(columns * 4, 0.0);
  // Columns in parallel, each summed in registers (the shared array is written once per column).
#pragma omp parallel for schedule(dynamic)
  for (size_t c = 0; c < columns; ++c) {
    int64_t present = 0, absent = 0;
    double sum = 0, squares = 0;
    if (layout.types[c] == ColumnType::Categorical) {
      for (int32_t code : raw.codes[c]) absent += code < 0;
      present = static_cast<int64_t>(raw.codes[c].size()) - absent;
    } else {
      for (float v : raw.numbers[c]) {
        const bool missing = std::isnan(v);
        absent += missing;
        const double x = missing ? 0.0 : v;
        sum += x;
        squares += x * x;
      }
      present = static_cast<int64_t>(raw.numbers[c].size()) - absent;
    }
    sums[c * 4] = static_cast<double>(present);
    sums[c * 4 + 1] = sum;
    sums[c * 4 + 2] = squares;
    sums[c * 4 + 3] = static_cast<double>(absent);
  }
  comm.allReduce(std::span<double>(sums), dist::ReduceOp::Sum);
  std::vector<const std::vector<float>*> medianColumns;
  std::vector<int64_t> medianKs;
  std::vector<size_t> medianOf;  // schema column of each pair of targets
  for (size_t c = 0; c < columns; ++c) {
    if (static_cast<int64_t>(c) == layout.labelIndex) continue;
    TableColumn col;
    col.name = layout.names[c];
    col.type = layout.types[c];
    const double count = sums[c * 4], missing = sums[c * 4 + 3];
    if (col.type != ColumnType::Ignored && count == 0)
      throw InputError::at(layout.path, 0, static_cast<long>(c + 1),
                           "column " + shown(col.name) +
                               " is empty in every training row; ignore it (\"data.ignore\")");
    if (col.type == ColumnType::Numeric || col.type == ColumnType::Boolean) {
      const double mean = sums[c * 4 + 1] / count;
      const double variance = std::max(0.0, sums[c * 4 + 2] / count - mean * mean);
      col.fill = mean;
      if (col.type == ColumnType::Numeric) {
        col.center = mean;
        col.scale = std::sqrt(variance) > 1e-12 ? std::sqrt(variance) : 1.0;
      }
      col.indicator = missing > 0;
      if (options.impute == "median" && col.type == ColumnType::Numeric) {
        const auto n = static_cast<int64_t>(count);
        medianColumns.insert(medianColumns.end(), {&raw.numbers[c], &raw.numbers[c]});
        medianKs.insert(medianKs.end(), {(n - 1) / 2, n / 2});
        medianOf.push_back(schema.columns.size());
      }
    } else if (col.type == ColumnType::Categorical) {
      col.categories = mergedVocabulary(raw.vocabulary[c], comm);
      if (static_cast<int64_t>(col.categories.size()) > options.maxCategories)
        throw InputError::at(layout.path, 0, static_cast<long>(c + 1),
                             "column " + shown(col.name) + " has " + std::to_string(col.categories.size()) +
                                 " distinct values, more than " + std::to_string(options.maxCategories) +
                                 " (an identifier? ignore it with \"data.ignore\", or raise \"data.max_categories\")");
      col.embedded = listed(options.embed, col.name, c) ||
                     (!listed(options.oneHot, col.name, c) && col.codes() > options.embedThreshold);
      if (col.embedded)
        col.embedDim = std::clamp<int64_t>(std::llround(1.6 * std::pow(static_cast<double>(col.codes()), 0.56)), 2, 50);
    }
    schema.columns.push_back(std::move(col));
  }
  if (!medianKs.empty()) {
    const std::vector<float> values = kthSmallest(medianColumns, medianKs, comm);
    for (size_t i = 0; i < medianOf.size(); ++i)
      schema.columns[medianOf[i]].fill = (static_cast<double>(values[2 * i]) + values[2 * i + 1]) / 2;
  }
  if (layout.labelIndex >= 0) {
    schema.labelName = layout.names[static_cast<size_t>(layout.labelIndex)];
    if (layout.keepLabels) {
      const std::vector<std::string> names = mergedVocabulary(raw.labelVocabulary, comm);
      std::vector<int64_t> values(names.size());
      const bool integers = std::all_of(names.begin(), names.end(), [&, i = size_t{0}](const std::string& s) mutable {
        return parseIntegerLabel(s, values[i++]);
      });
      if (names.size() < 2)
        throw InputError::at(layout.path, 0, static_cast<long>(layout.labelIndex + 1),
                             "the label column " + shown(schema.labelName) + " holds one class" +
                                 (names.empty() ? std::string() : " (" + shown(names[0]) + ")") +
                                 " in the training rows; a classifier needs at least two");
      if (integers) {
        schema.classes = *std::max_element(values.begin(), values.end()) + 1;
      } else {
        schema.classNames = names;
        schema.classes = static_cast<int64_t>(names.size());
      }
    }
  }
  return schema;
}

void mapToSchema(RawTable& raw, const TableLayout& layout, const TableSchema& schema) {
  for (size_t c = 0; c < raw.codes.size(); ++c) {
    if (layout.types[c] != ColumnType::Categorical) continue;
    const auto& categories = schema.columns[static_cast<size_t>(schema.find(layout.names[c]))].categories;
    std::vector<int32_t> to(raw.vocabulary[c].size());
    for (size_t i = 0; i < to.size(); ++i) {
      auto it = std::lower_bound(categories.begin(), categories.end(), raw.vocabulary[c][i]);
      to[i] = it != categories.end() && *it == raw.vocabulary[c][i] ? 2 + static_cast<int32_t>(it - categories.begin()) : 1;
    }
    for (int32_t& code : raw.codes[c]) code = code < 0 ? 0 : to[static_cast<size_t>(code)];
    raw.vocabulary[c].clear();
  }
  std::vector<int32_t> to(raw.labelVocabulary.size());
  for (size_t i = 0; i < to.size(); ++i) {
    const std::string& name = raw.labelVocabulary[i];
    int64_t value = -1;
    if (!schema.classNames.empty()) {
      auto it = std::find(schema.classNames.begin(), schema.classNames.end(), name);
      if (it != schema.classNames.end()) value = it - schema.classNames.begin();
    } else if (!parseIntegerLabel(name, value) || value >= schema.classes) {
      value = -1;
    }
    if (value < 0)
      throw InputError::at(layout.path, 0, static_cast<long>(layout.labelIndex + 1),
                           "label " + shown(name) + " is not one of the classes of the training rows");
    to[i] = static_cast<int32_t>(value);
  }
  for (int32_t& l : raw.labels) l = to[static_cast<size_t>(l)];
  raw.labelVocabulary.clear();
}

namespace {

// Rows [begin, end) of `raw` encoded into `out` ([end - begin, width], zeroed): numeric and
// boolean values, then indicators, then one-hot categories, then embedded codes.
void encodeRows(const RawTable& raw, const TableSchema& schema, const std::vector<int64_t>& fileColumn, int64_t begin,
                int64_t end, float* out, int64_t width) {
  int64_t offset = 0;  // the column's first value in a row
  auto eachRow = [&](auto write) {
    for (int64_t r = begin; r < end; ++r) write(out + (r - begin) * width + offset, r);
  };
  for (size_t s = 0; s < schema.columns.size(); ++s) {
    const TableColumn& col = schema.columns[s];
    if (col.type != ColumnType::Numeric && col.type != ColumnType::Boolean) continue;
    const auto& values = raw.numbers[static_cast<size_t>(fileColumn[s])];
    eachRow([&](float* row, int64_t r) {
      const float v = values[static_cast<size_t>(r)];
      row[0] = static_cast<float>(((std::isnan(v) ? col.fill : v) - col.center) / col.scale);
    });
    ++offset;
  }
  for (size_t s = 0; s < schema.columns.size(); ++s) {
    const TableColumn& col = schema.columns[s];
    if ((col.type != ColumnType::Numeric && col.type != ColumnType::Boolean) || !col.indicator) continue;
    const auto& values = raw.numbers[static_cast<size_t>(fileColumn[s])];
    eachRow([&](float* row, int64_t r) { row[0] = std::isnan(values[static_cast<size_t>(r)]) ? 1.0f : 0.0f; });
    ++offset;
  }
  for (int pass = 0; pass < 2; ++pass) {
    const bool embedded = pass == 1;
    for (size_t s = 0; s < schema.columns.size(); ++s) {
      const TableColumn& col = schema.columns[s];
      if (col.type != ColumnType::Categorical || col.embedded != embedded) continue;
      const auto& codes = raw.codes[static_cast<size_t>(fileColumn[s])];
      if (embedded) {
        eachRow([&](float* row, int64_t r) { row[0] = static_cast<float>(codes[static_cast<size_t>(r)]); });
        ++offset;
      } else {
        eachRow([&](float* row, int64_t r) { row[codes[static_cast<size_t>(r)]] = 1.0f; });
        offset += col.codes();
      }
    }
  }
}

}  // namespace

namespace {

// Lets go of the whole pages of v[from, to) (madvise MADV_DONTNEED: they read as zeros
// afterwards), for raw columns already encoded.
template <typename T>
void releaseValues(const std::vector<T>& v, size_t from, size_t to) {
  if (to > from && !v.empty()) releasePages(v.data() + from, v.data() + to);
}

// Encodes rows [0, rows) of `raw` into out [rows, width], 65,536 rows at a time (blocks of a chunk
// in parallel); with `consumed` (== &raw), the pages of the raw columns are released after each
// chunk, so the raw and the encoded rows are not both whole in memory. `chunkDone(begin, end)`
// follows each chunk.
void encodeChunks(const RawTable& raw, const TableLayout& layout, const TableSchema& schema, int64_t rows, float* out,
                  RawTable* consumed, const std::function<void(int64_t, int64_t)>& chunkDone) {
  // The file column of each schema column (matched by name: a file read with a fitted schema may
  // order its columns differently).
  std::vector<int64_t> fileColumn(schema.columns.size(), -1);
  for (size_t s = 0; s < schema.columns.size(); ++s) {
    auto it = std::find(layout.names.begin(), layout.names.end(), schema.columns[s].name);
    if (it != layout.names.end()) fileColumn[s] = it - layout.names.begin();
  }
  const int64_t width = schema.width();
  // Each block is zeroed (the one-hot columns' zeros) by the thread that encodes it, so fresh
  // pages are first touched, once, in parallel, and its output stays in cache through the
  // column passes.
  constexpr int64_t kBlock = 1024, kChunk = 64 * kBlock;
  for (int64_t chunk = 0; chunk < rows; chunk += kChunk) {
    const int64_t chunkEnd = std::min(rows, chunk + kChunk);
    populatePages(out + chunk * width, out + chunkEnd * width);
#pragma omp parallel for schedule(static)
    for (int64_t begin = chunk; begin < chunkEnd; begin += kBlock) {
      const int64_t end = std::min(chunkEnd, begin + kBlock);
      float* block = out + begin * width;
      std::fill(block, block + (end - begin) * width, 0.0f);
      encodeRows(raw, schema, fileColumn, begin, end, block, width);
    }
    if (consumed) {
      for (const auto& column : consumed->numbers)
        releaseValues(column, static_cast<size_t>(chunk), static_cast<size_t>(chunkEnd));
      for (const auto& column : consumed->codes)
        releaseValues(column, static_cast<size_t>(chunk), static_cast<size_t>(chunkEnd));
    }
    if (chunkDone) chunkDone(chunk, chunkEnd);
  }
}

// The first `rows` labels of `raw` (moved out when `consumed`), none when the layout drops them.
std::vector<int32_t> labelsOf(const RawTable& raw, const TableLayout& layout, int64_t rows, RawTable* consumed) {
  if (!layout.keepLabels) return {};
  std::vector<int32_t> labels = consumed ? std::move(consumed->labels) : raw.labels;
  labels.resize(std::min(labels.size(), static_cast<size_t>(rows)));
  return labels;
}

Dataset encodeRowsOf(const RawTable& raw, const TableLayout& layout, const TableSchema& schema, RawTable* consumed) {
  const int64_t width = schema.width(), rows = raw.rows;
  std::shared_ptr<float[]> out(new float[static_cast<size_t>(std::max<int64_t>(1, rows * width))]);  // uninitialised
  encodeChunks(raw, layout, schema, rows, out.get(), consumed, nullptr);
  std::vector<int32_t> labels = labelsOf(raw, layout, rows, consumed);
  if (consumed) *consumed = RawTable{};
  const float* values = out.get();
  return Dataset::borrowFloats(Shape{width}, values, rows, std::move(labels), static_cast<int>(schema.classes),
                               std::shared_ptr<const void>(std::move(out), values));
}

}  // namespace

Dataset encodeTable(const RawTable& raw, const TableLayout& layout, const TableSchema& schema) {
  return encodeRowsOf(raw, layout, schema, nullptr);
}

Dataset encodeTable(RawTable&& raw, const TableLayout& layout, const TableSchema& schema) {
  return encodeRowsOf(raw, layout, schema, &raw);
}

std::vector<int32_t> encodeTableInto(RawTable&& raw, const TableLayout& layout, const TableSchema& schema,
                                     int64_t rows, float* out, const std::function<void(int64_t, int64_t)>& chunkDone) {
  rows = std::clamp<int64_t>(rows, 0, raw.rows);
  encodeChunks(raw, layout, schema, rows, out, &raw, chunkDone);
  std::vector<int32_t> labels = labelsOf(raw, layout, rows, &raw);
  raw = RawTable{};
  return labels;
}

}  // namespace shoal::data
