// Typed CSV tables: the header and inferred types, then each rank's byte range parsed into raw columns on its threads.
#include "shoal/data/table_reader.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <deque>
#include <cmath>
#include <limits>
#include <thread>
#include <unordered_map>

#include <malloc.h>
#include <omp.h>

#include "code_map.hpp"
#include "decimal_cell.hpp"
#include "row_fields.hpp"
#include "shoal/data/file_bytes.hpp"
#include "shoal/error.hpp"

namespace shoal::data {
namespace {

bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && isBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && isBlank(s.back())) s.remove_suffix(1);
  return s;
}

// A cell as messages show it: quoted, long ones cut short.
std::string shown(std::string_view s) {
  constexpr size_t kMax = 40;
  std::string out(1, '"');
  out.append(s.substr(0, kMax));
  if (s.size() > kMax) out.append("...");
  return out + '"';
}

std::string_view afterBom(std::string_view text) {
  return text.substr(0, 3) == "\xEF\xBB\xBF" ? text.substr(3) : text;
}

// One record's fields: views into the text, or into `unescaped` for quoted fields with "" (a
// deque: growing it moves no string the earlier fields view).
struct Record {
  std::vector<std::string_view> fields;
  std::deque<std::string> unescaped;
  bool blank = false;  // an empty line
};

// The bytes that end an unquoted field's scan: a comma, a line break, and a quote (an error there).
constexpr auto kFieldEnd = [] {
  std::array<bool, 256> end{};
  end[','] = end['\n'] = end['"'] = true;
  return end;
}();

// Parses the record at `pos` (a row start) into `r`; returns the position after it and adds the
// line breaks inside quoted fields to `line`. `line` is the record's first line, for errors.
size_t parseRecord(std::string_view text, size_t pos, Record& r, const std::string& path, int64_t& line) {
  r.fields.clear();
  size_t quotedUsed = 0;
  const size_t lineStart = pos;
  const int64_t recordLine = line;
  auto fail = [&](const std::string& what) {
    throw InputError::at(path, static_cast<long>(recordLine), static_cast<long>(r.fields.size() + 1), what);
  };
  while (true) {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
    if (pos < text.size() && text[pos] == '"') {
      const size_t start = ++pos;
      bool doubled = false;
      while (true) {
        const size_t q = text.find('"', pos);
        if (q == std::string_view::npos) fail("unterminated quoted field");
        line += std::count(text.begin() + static_cast<std::ptrdiff_t>(pos), text.begin() + static_cast<std::ptrdiff_t>(q), '\n');
        if (q + 1 < text.size() && text[q + 1] == '"') {
          doubled = true;
          pos = q + 2;
          continue;
        }
        pos = q;
        break;
      }
      std::string_view inside = text.substr(start, pos - start);
      if (doubled) {
        if (r.unescaped.size() <= quotedUsed) r.unescaped.emplace_back();
        std::string& u = r.unescaped[quotedUsed++];
        u.clear();
        for (size_t i = 0; i < inside.size(); ++i) {
          u.push_back(inside[i]);
          if (inside[i] == '"') ++i;
        }
        inside = u;
      }
      r.fields.push_back(inside);
      ++pos;
      while (pos < text.size() && isBlank(text[pos])) ++pos;
      if (pos < text.size() && text[pos] != ',' && text[pos] != '\n')
        fail("unexpected text after the closing quote, expected a comma");
    } else {
      const size_t start = pos;
      while (pos < text.size() && !kFieldEnd[static_cast<unsigned char>(text[pos])]) ++pos;
      if (pos < text.size() && text[pos] == '"') fail("a quote inside an unquoted field (quote the whole field)");
      r.fields.push_back(trim(text.substr(start, pos - start)));
    }
    if (pos >= text.size()) break;
    if (text[pos] == '\n') {
      ++pos;
      break;
    }
    ++pos;  // the comma
  }
  ++line;
  r.blank = r.fields.size() == 1 && r.fields[0].empty() && trim(text.substr(lineStart, pos - lineStart)).size() <= 1 &&
            text.substr(lineStart, pos - lineStart).find('"') == std::string_view::npos;
  return pos;
}

// ASCII letters compared without case (`lower`: a lowercase word); other bytes exactly.
bool equalsNoCase(std::string_view a, std::string_view lower) {
  return a.size() == lower.size() && std::equal(a.begin(), a.end(), lower.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? static_cast<char>(x | 0x20) : x) == y;
         });
}

// true/false in any case: 1/0; -1 otherwise.
int parseBoolean(std::string_view s) {
  if (equalsNoCase(s, "true")) return 1;
  if (equalsNoCase(s, "false")) return 0;
  return -1;
}

bool isMissing(std::string_view s, const std::vector<std::string>& tokens) {
  return std::any_of(tokens.begin(), tokens.end(), [&](const std::string& t) { return s == t; });
}

// The missing-value tokens with a filter on their lengths and first bytes, so that most cells
// (a number never starts like "NA" or "null") are told apart without a compare.
class MissingTokens {
 public:
  explicit MissingTokens(const std::vector<std::string>& tokens) : tokens_(tokens) {
    for (const std::string& t : tokens) {
      if (t.empty()) empty_ = true;
      else first_[static_cast<unsigned char>(t[0])] = true;
    }
  }
  bool operator()(std::string_view s) const {
    if (s.empty()) return empty_;
    return first_[static_cast<unsigned char>(s[0])] && isMissing(s, tokens_);
  }

 private:
  const std::vector<std::string>& tokens_;
  bool empty_ = false;
  bool first_[256] = {};
};

// The file column a selector names: a header name, else a 0-based index.
int64_t resolveColumn(const std::string& selector, const std::vector<std::string>& names, bool header,
                      const std::string& path, const std::string& what) {
  if (header) {
    auto it = std::find(names.begin(), names.end(), selector);
    if (it != names.end()) return it - names.begin();
  }
  size_t index = 0;
  auto [end, ec] = std::from_chars(selector.data(), selector.data() + selector.size(), index);
  if (!selector.empty() && ec == std::errc() && end == selector.data() + selector.size() && index < names.size())
    return static_cast<int64_t>(index);
  std::string list;
  for (size_t i = 0; i < names.size() && i < 20; ++i) list += (i ? ", " : "") + shown(names[i]);
  if (names.size() > 20) list += ", ...";
  throw InputError::at(path, 1, 0,
                       what + " " + shown(selector) + " is not a column: " +
                           (header ? "the header has " + list
                                   : "the file has no header; give a 0-based index below " +
                                         std::to_string(names.size())));
}


// What one thread parses: the raw columns of its rows, with its own vocabularies.
struct Part {
  RawTable table;
  std::vector<CodeMap> maps;  // per file column (categorical)
  CodeMap labelMap;
};

struct ParseContext {
  const TableLayout& layout;
  const TableOptions& options;
  const TableSchema* schema;
  std::vector<CodeMap> frozenMaps;  // with a schema: category -> code
  CodeMap classMap;                 // with a schema of string labels: name -> class
  const FileBytes& file;            // the text's file: pages already parsed are released
  size_t textOffset = 0;            // the text's start in file.view() (after a BOM)
};

[[noreturn]] void typeError(const ParseContext& ctx, int64_t line, size_t column, std::string_view cell) {
  const ColumnType type = ctx.layout.types[column];
  const std::string found = parseBoolean(cell) >= 0 ? "a boolean" : [&] {
    float v;
    return parseDecimalCell(cell, v) ? "a number" : "a string";
  }();
  throw InputError::at(ctx.layout.path, static_cast<long>(line), static_cast<long>(column + 1),
                       "column " + shown(ctx.layout.names[column]) + " is " + columnTypeName(type) +
                           (ctx.schema ? " (as in training)" : " (inferred from its first rows)") + " but this cell is " +
                           found + ", " + shown(cell) +
                           "; declare the column's type (\"data.categorical\", \"data.numeric\") or read such cells as "
                           "missing (\"data.type_errors\": \"missing\")");
}

// A part's columns reserved for `capacity` rows (at least its range's line breaks + 1), so none
// grows by copying. Called on the thread that joins the parts: the memory then comes from its
// malloc arena, which malloc_trim can hand back once the joined parts are freed (a parse
// thread's arena would keep it).
void reserveColumns(const TableLayout& layout, Part& part, size_t capacity) {
  const size_t columns = layout.names.size();
  RawTable& t = part.table;
  t.numbers.resize(columns);
  t.codes.resize(columns);
  t.vocabulary.resize(columns);
  part.maps.resize(columns);
  for (size_t c = 0; c < columns; ++c) {
    if (layout.types[c] == ColumnType::Categorical) t.codes[c].reserve(capacity);
    else if (layout.types[c] != ColumnType::Ignored) t.numbers[c].reserve(capacity);
  }
  if (layout.keepLabels) t.labels.reserve(capacity);
}

// Parses the rows of `range` into `part` (its columns reserved by reserveColumns).
void parseRows(std::string_view text, RowRange range, ParseContext& ctx, Part& part) {
  const TableLayout& layout = ctx.layout;
  const size_t columns = layout.names.size();
  RawTable& t = part.table;
  Record r;
  int64_t line = range.firstLine;
  size_t pos = range.begin;
  constexpr size_t kReleaseEvery = 4 << 20;  // bytes parsed between releases of their pages
  size_t released = range.begin;
  const MissingTokens isMissingCell(ctx.schema ? ctx.schema->missing : ctx.options.missing);
  const bool typeErrorsAsMissing = ctx.schema ? ctx.schema->typeErrorsAsMissing : ctx.options.typeErrorsAsMissing;
  const int64_t maxCategories = ctx.options.maxCategories;
  std::vector<size_t> ends(columns);              // a plain row's field ends
  std::vector<std::string_view> plain(columns);  // a plain row's cells
  const char* const textEnd = text.data() + text.size();  // cells before it can be read 8 bytes at a time
  while (pos < range.end) {
    if (pos - released >= kReleaseEvery) {
      ctx.file.release(ctx.textOffset + released, ctx.textOffset + pos);
      released = pos;
    }
    const int64_t recordLine = line;
    // A row without quotes and with every field (nearly all rows) is split here; any other goes
    // to the record parser, which also reports what is wrong with it.
    size_t fields = 0;
    bool blanks = false;
    const size_t next = plainRowFields(text.data(), range.end, pos, ends.data(), columns, fields, blanks);
    const std::string_view* cells = plain.data();
    if (next != kNotPlain && fields == columns) {
      for (size_t c = 0, start = pos; c < columns; start = ends[c++] + 1) {
        const char* first = text.data() + start;
        const char* last = text.data() + ends[c];
        if (blanks) {
          while (first < last && isBlank(*first)) ++first;
          while (last > first && isBlank(last[-1])) --last;
        }
        plain[c] = std::string_view(first, static_cast<size_t>(last - first));
      }
      pos = next;
      ++line;
    } else {
      pos = parseRecord(text.substr(0, range.end), pos, r, layout.path, line);
      if (r.blank && columns > 1) continue;
      if (r.fields.size() != columns)
        throw InputError::at(layout.path, static_cast<long>(recordLine), 0,
                             "expected " + std::to_string(columns) + " fields as in the first line, found " +
                                 std::to_string(r.fields.size()));
      cells = r.fields.data();
    }
    const char* const readableEnd = cells == plain.data() ? textEnd : nullptr;  // null: cells may be unescaped copies
    for (size_t c = 0; c < columns; ++c) {
      const std::string_view cell = cells[c];
      if (static_cast<int64_t>(c) == layout.labelIndex) {
        if (!layout.keepLabels) continue;
        if (cell.empty() || isMissingCell(cell))
          throw InputError::at(layout.path, static_cast<long>(recordLine), static_cast<long>(c + 1),
                               "the label is missing (" + shown(cell) + "); every row needs one");
        if (!ctx.schema) {
          int32_t label = part.labelMap.find(cell, readableEnd);
          if (label == CodeMap::kAbsent) {
            label = static_cast<int32_t>(t.labelVocabulary.size());
            part.labelMap.insert(cell, label);
            t.labelVocabulary.emplace_back(cell);
          }
          t.labels.push_back(label);
        } else if (!ctx.schema->classNames.empty()) {
          const int32_t label = ctx.classMap.find(cell, readableEnd);
          if (label == CodeMap::kAbsent) {
            std::string names;
            for (size_t i = 0; i < ctx.schema->classNames.size() && i < 20; ++i)
              names += (i ? ", " : "") + shown(ctx.schema->classNames[i]);
            throw InputError::at(layout.path, static_cast<long>(recordLine), static_cast<long>(c + 1),
                                 "label " + shown(cell) + " is not one of the model's classes (" + names + ")");
          }
          t.labels.push_back(label);
        } else {
          int64_t value = -1;
          if (!parseIntegerLabel(cell, value) || value >= ctx.schema->classes)
            throw InputError::at(layout.path, static_cast<long>(recordLine), static_cast<long>(c + 1),
                                 "label " + shown(cell) + " is not a class of the model (0 to " +
                                     std::to_string(ctx.schema->classes - 1) + ")");
          t.labels.push_back(static_cast<int32_t>(value));
        }
        continue;
      }
      const ColumnType type = layout.types[c];
      if (type == ColumnType::Ignored) continue;
      const bool missing = isMissingCell(cell);
      if (type == ColumnType::Categorical) {
        std::vector<int32_t>& codes = t.codes[c];
        if (missing) {
          codes.push_back(ctx.schema ? 0 : -1);
        } else if (ctx.schema) {
          const int32_t code = ctx.frozenMaps[c].find(cell, readableEnd);
          codes.push_back(code == CodeMap::kAbsent ? 1 : code);
        } else {
          CodeMap& map = part.maps[c];
          int32_t code = map.find(cell, readableEnd);
          if (code == CodeMap::kAbsent) {
            if (static_cast<int64_t>(map.size()) >= maxCategories)
              throw InputError::at(layout.path, static_cast<long>(recordLine), static_cast<long>(c + 1),
                                   "column " + shown(layout.names[c]) + " has more than " +
                                       std::to_string(maxCategories) +
                                       " distinct values (an identifier? ignore it with \"data.ignore\", or raise "
                                       "\"data.max_categories\")");
            code = static_cast<int32_t>(t.vocabulary[c].size());
            map.insert(cell, code);
            t.vocabulary[c].emplace_back(cell);
          }
          codes.push_back(code);
        }
        continue;
      }
      float value = std::numeric_limits<float>::quiet_NaN();
      if (!missing) {
        const bool ok = type == ColumnType::Numeric ? parseDecimalCell(cell, value, readableEnd)
                                                    : (value = static_cast<float>(parseBoolean(cell))) >= 0;
        if (!ok) {
          if (!typeErrorsAsMissing) typeError(ctx, recordLine, c, cell);
          value = std::numeric_limits<float>::quiet_NaN();
        }
      }
      t.numbers[c].push_back(value);
    }
    ++t.rows;
  }
}

// Appends `part` to `out`, mapping its vocabulary indices to `out`'s (training reads).
// The first part's columns were reserved for every part's rows (reserveColumns), so nothing moves.
void appendPart(RawTable& out, std::vector<CodeMap>& maps, CodeMap& labelMap, Part& part, bool frozen) {
  RawTable& p = part.table;
  const size_t columns = p.numbers.size();
  if (out.numbers.empty()) {  // the first part: taken as it is, its vocabularies' order is the merged order
    out = std::move(p);
    maps = std::move(part.maps);
    labelMap = std::move(part.labelMap);
    return;
  }
  auto remapped = [&](std::vector<std::string>& vocabulary, CodeMap& map, const std::vector<std::string>& partVocabulary) {
    std::vector<int32_t> to(partVocabulary.size());
    for (size_t i = 0; i < partVocabulary.size(); ++i) {
      int32_t code = map.find(partVocabulary[i]);
      if (code == CodeMap::kAbsent) {
        code = static_cast<int32_t>(vocabulary.size());
        map.insert(partVocabulary[i], code);
        vocabulary.push_back(partVocabulary[i]);
      }
      to[i] = code;
    }
    return to;
  };
  for (size_t c = 0; c < columns; ++c) {
    out.numbers[c].insert(out.numbers[c].end(), p.numbers[c].begin(), p.numbers[c].end());
    std::vector<int32_t> to;
    if (!frozen) to = remapped(out.vocabulary[c], maps[c], p.vocabulary[c]);
    for (int32_t code : p.codes[c]) out.codes[c].push_back(frozen || code < 0 ? code : to[static_cast<size_t>(code)]);
    p.numbers[c] = std::vector<float>();  // (not `= {}`: that clears and keeps the memory)
    p.codes[c] = std::vector<int32_t>();
  }
  std::vector<int32_t> to;
  if (!frozen) to = remapped(out.labelVocabulary, labelMap, p.labelVocabulary);
  for (int32_t l : p.labels) out.labels.push_back(frozen ? l : to[static_cast<size_t>(l)]);
  out.rows += p.rows;
  ::malloc_trim(0);  // the part's freed columns (reserved on this thread: its arena) go back to the system
}

// This rank's whole rows of text[dataStart, end): an equal share of the bytes, moved to row
// boundaries with the quote parity and line count of the shares before it; the share's text
// goes to `counted` as it is counted.
RowRange rankRows(std::string_view text, size_t dataStart, int64_t dataLine, dist::Communicator& comm,
                  const CountedPieces& counted) {
  const size_t length = text.size() - dataStart;
  const auto rank = static_cast<size_t>(comm.rank()), ranks = static_cast<size_t>(comm.size());
  if (ranks == 1) return {dataStart, text.size(), dataLine};
  const size_t shareBegin = dataStart + length * rank / ranks, shareEnd = dataStart + length * (rank + 1) / ranks;
  const ChunkCounts own = countRange(text, shareBegin, shareEnd, counted);
  int64_t quotesBefore = 0, linesBefore = 0;
  const std::vector<int64_t> quotes = comm.allGather(own.quotes), lines = comm.allGather(own.lines);
  for (size_t r = 0; r < rank; ++r) quotesBefore += quotes[r], linesBefore += lines[r];
  const size_t begin = nextRowStart(text, shareBegin, (quotesBefore & 1) != 0);
  const size_t end = rank + 1 == ranks ? text.size() : nextRowStart(text, shareEnd, ((quotesBefore + own.quotes) & 1) != 0);
  const int64_t skipped = countChunk(text.substr(shareBegin, begin - shareBegin)).lines;
  // The range's line breaks from the share's, so that splitting it needs no second count: a range
  // that holds a row starts inside the share and ends at or after the share's end.
  const int64_t inRange = begin < end ? own.lines - skipped + countChunk(text.substr(shareEnd, end - shareEnd)).lines : 0;
  return {begin, std::max(begin, end), dataLine + linesBefore + skipped, inRange};
}

struct Head {
  std::vector<std::string> names;
  bool header = false;
  size_t dataStart = 0;
};

Head readHead(std::string_view text, const std::string& path) {
  if (trim(text).empty() || text.find_first_not_of(" \t\r\n") == std::string_view::npos)
    throw InputError::at(path, 0, 0, "empty file, expected CSV rows");
  Record r;
  int64_t line = 1;
  const size_t next = parseRecord(text, 0, r, path, line);
  Head h;
  float v;
  h.header = std::none_of(r.fields.begin(), r.fields.end(),
                          [&](std::string_view f) { return f.empty() || parseDecimalCell(f, v); });
  std::unordered_map<std::string, size_t> seen;
  for (size_t i = 0; i < r.fields.size(); ++i) {
    h.names.push_back(h.header ? std::string(r.fields[i]) : std::to_string(i));
    const auto [at, fresh] = seen.emplace(h.names[i], i);
    if (!fresh)
      throw InputError::at(path, 1, static_cast<long>(i + 1),
                           "the column name " + shown(h.names[i]) + " is also column " + std::to_string(at->second + 1) +
                               "'s; a table's columns need distinct names");
  }
  h.dataStart = h.header ? next : 0;
  return h;
}

}  // namespace

std::string columnTypeName(ColumnType type) {
  switch (type) {
    case ColumnType::Numeric: return "numeric";
    case ColumnType::Boolean: return "boolean";
    case ColumnType::Categorical: return "categorical";
    case ColumnType::Ignored: return "ignored";
  }
  return "?";
}

RawTable RawTable::extract(const std::vector<int64_t>& indices) {
  RawTable out;
  out.rows = static_cast<int64_t>(indices.size());
  out.vocabulary = vocabulary;
  out.labelVocabulary = labelVocabulary;
  out.numbers.resize(numbers.size());
  out.codes.resize(codes.size());
  // Walks the rows once: a row at the next index goes out, any other moves down to `kept`.
  auto split = [&](auto& column, auto& moved) {
    if (column.empty()) return;
    moved.reserve(indices.size());
    size_t next = 0, kept = 0;
    for (size_t i = 0; i < column.size(); ++i) {
      if (next < indices.size() && static_cast<size_t>(indices[next]) == i) {
        moved.push_back(column[i]);
        ++next;
      } else {
        column[kept++] = column[i];
      }
    }
    column.resize(kept);
  };
  for (size_t c = 0; c < numbers.size(); ++c) split(numbers[c], out.numbers[c]);
  for (size_t c = 0; c < codes.size(); ++c) split(codes[c], out.codes[c]);
  split(labels, out.labels);
  rows -= out.rows;
  return out;
}

TableLayout inspectTable(const std::string& path, const TableOptions& options) {
  FileBytes file(path);
  const std::string_view text = afterBom(file.view());
  const Head head = readHead(text, path);
  TableLayout layout{path, head.names, head.header, head.dataStart, {}, -1, false};
  const size_t columns = head.names.size();
  if (head.dataStart >= text.size() || trim(text.substr(head.dataStart)).empty())
    throw InputError::at(path, 0, 0, "no data rows, only a header line");
  if (options.hasLabel) {
    layout.labelIndex = resolveColumn(options.labelColumn, head.names, head.header, path, "the label column");
    layout.keepLabels = !options.ignoreLabel;
  }
  // Inference over the first rows: all numbers -> numeric, all true/false -> boolean, else
  // categorical; a column with no value there is numeric.
  std::vector<bool> allNumbers(columns, true), allBooleans(columns, true), anyValue(columns, false);
  Record r;
  int64_t line = head.header ? 2 : 1;
  size_t pos = head.dataStart;
  for (int64_t row = 0; row < options.inferRows && pos < text.size();) {
    const int64_t recordLine = line;
    pos = parseRecord(text, pos, r, path, line);
    if (r.blank && columns > 1) continue;
    if (r.fields.size() != columns)
      throw InputError::at(path, static_cast<long>(recordLine), 0,
                           "expected " + std::to_string(columns) + " fields as in the first line, found " +
                               std::to_string(r.fields.size()));
    for (size_t c = 0; c < columns; ++c) {
      if (isMissing(r.fields[c], options.missing)) continue;
      float v;
      anyValue[c] = true;
      allNumbers[c] = allNumbers[c] && parseDecimalCell(r.fields[c], v);
      allBooleans[c] = allBooleans[c] && parseBoolean(r.fields[c]) >= 0;
    }
    ++row;
  }
  layout.types.resize(columns);
  for (size_t c = 0; c < columns; ++c)
    layout.types[c] = !anyValue[c] || allNumbers[c] ? ColumnType::Numeric
                      : allBooleans[c]              ? ColumnType::Boolean
                                                    : ColumnType::Categorical;
  auto override = [&](const std::vector<std::string>& selectors, ColumnType type, const std::string& what) {
    for (const std::string& s : selectors) {
      const int64_t c = resolveColumn(s, head.names, head.header, path, what);
      if (c == layout.labelIndex) throw InputError::at(path, 1, 0, what + " " + shown(s) + " is the label column");
      layout.types[static_cast<size_t>(c)] = type;
    }
  };
  override(options.categorical, ColumnType::Categorical, "the categorical column");
  override(options.numeric, ColumnType::Numeric, "the numeric column");
  override(options.ignore, ColumnType::Ignored, "the ignored column");
  for (const auto& s : options.embed) resolveColumn(s, head.names, head.header, path, "the embedded column");
  for (const auto& s : options.oneHot) resolveColumn(s, head.names, head.header, path, "the one-hot column");
  if (layout.labelIndex >= 0) layout.types[static_cast<size_t>(layout.labelIndex)] = ColumnType::Ignored;
  if (std::all_of(layout.types.begin(), layout.types.end(), [](ColumnType t) { return t == ColumnType::Ignored; }))
    throw InputError::at(path, 1, 0, "no feature columns: every column is the label or ignored");
  return layout;
}

TableLayout inspectTable(const std::string& path, const TableSchema& schema, bool keepLabels) {
  FileBytes file(path);
  const std::string_view text = afterBom(file.view());
  const Head head = readHead(text, path);
  TableLayout layout{path, head.names, head.header, head.dataStart, {}, -1, keepLabels};
  layout.types.assign(head.names.size(), ColumnType::Ignored);
  if (head.dataStart >= text.size() || trim(text.substr(head.dataStart)).empty())
    throw InputError::at(path, 0, 0, "no data rows, only a header line");
  for (const TableColumn& column : schema.columns) {
    if (column.type == ColumnType::Ignored) continue;
    auto it = std::find(head.names.begin(), head.names.end(), column.name);
    if (it == head.names.end())
      throw InputError::at(path, 1, 0,
                           "the model's column " + shown(column.name) + " is not in the file" +
                               (head.header ? "'s header" : " (a file without a header needs the training file's columns)"));
    layout.types[static_cast<size_t>(it - head.names.begin())] = column.type;
  }
  if (!schema.labelName.empty()) {
    auto it = std::find(head.names.begin(), head.names.end(), schema.labelName);
    if (it != head.names.end()) layout.labelIndex = it - head.names.begin();
    else if (keepLabels)
      throw InputError::at(path, 1, 0, "no label column " + shown(schema.labelName) + " (the model's) in the file");
  }
  if (layout.labelIndex < 0) layout.keepLabels = false;
  return layout;
}

RawTable readTableRows(const TableLayout& layout, const TableOptions& options, const TableSchema* schema,
                       dist::Communicator& comm) {
  FileBytes file(layout.path);
  const std::string_view text = afterBom(file.view());
  ParseContext ctx{layout, options, schema, {}, {}, file, static_cast<size_t>(text.data() - file.view().data())};
  if (schema) {
    ctx.frozenMaps.resize(layout.names.size());
    for (size_t c = 0; c < layout.names.size(); ++c) {
      if (layout.types[c] != ColumnType::Categorical) continue;
      const int64_t s = schema->find(layout.names[c]);
      const auto& categories = schema->columns[static_cast<size_t>(s)].categories;
      for (size_t i = 0; i < categories.size(); ++i) ctx.frozenMaps[c].insert(categories[i], static_cast<int32_t>(i + 2));
    }
    for (size_t i = 0; i < schema->classNames.size(); ++i) ctx.classMap.insert(schema->classNames[i], static_cast<int32_t>(i));
  }
  std::vector<Part> parts;
  {
    // Counting reads the whole range before parsing does: its pages are let go piece by piece,
    // and the threads map back what they parse.
    const size_t offset = ctx.textOffset;
    const CountedPieces release = [&](size_t begin, size_t end) { file.release(offset + begin, offset + end); };
    const RowRange mine = rankRows(text, layout.dataStart, layout.header ? 2 : 1, comm, release);
    const int threads = options.threads > 0 ? options.threads : std::max(1, omp_get_max_threads());
    const std::vector<RowRange> ranges =
        splitRows(text, mine, mine.end - mine.begin < (1u << 20) ? 1 : threads, release);
    // The first part (the calling thread's) is reserved for the rows of every part, so joining
    // the others appends to it without moving it; each row needs at least one line break but the last.
    auto rowsOf = [](const RowRange& r) { return static_cast<size_t>(r.lines) + 1; };
    size_t allRows = 0;
    for (const RowRange& r : ranges) allRows += rowsOf(r);
    parts.resize(ranges.size());
    for (size_t i = 0; i < parts.size(); ++i) reserveColumns(layout, parts[i], i == 0 ? allRows : rowsOf(ranges[i]));
    std::vector<std::exception_ptr> errors(ranges.size());
    auto work = [&](size_t i) {
      try {
        parseRows(text, ranges[i], ctx, parts[i]);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    };
    std::vector<std::thread> pool;
    for (size_t i = 1; i < ranges.size(); ++i) pool.emplace_back(work, i);
    work(0);
    for (std::thread& t : pool) t.join();
    for (const auto& e : errors)
      if (e) std::rethrow_exception(e);  // the first range's error: the earliest line
  }
  RawTable out;
  std::vector<CodeMap> maps;
  CodeMap labelMap;
  file.release(0, file.view().size());  // the parts hold everything from here on
  for (Part& p : parts) appendPart(out, maps, labelMap, p, schema != nullptr);
  parts.clear();
  if (out.numbers.empty()) {
    out.numbers.resize(layout.names.size());
    out.codes.resize(layout.names.size());
    out.vocabulary.resize(layout.names.size());
  }
  if (!schema)
    for (size_t c = 0; c < out.vocabulary.size(); ++c)
      if (static_cast<int64_t>(out.vocabulary[c].size()) > options.maxCategories)
        throw InputError::at(layout.path, 0, static_cast<long>(c + 1),
                             "column " + shown(layout.names[c]) + " has more than " +
                                 std::to_string(options.maxCategories) +
                                 " distinct values (an identifier? ignore it with \"data.ignore\", or raise "
                                 "\"data.max_categories\")");
  return out;
}

}  // namespace shoal::data
