// CSV parsing: field splitting with quotes, header detection, std::from_chars numbers, labels.
#include "shoal/data/csv_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <string_view>

#include "shoal/data/gzip_reader.hpp"
#include "shoal/error.hpp"

namespace shoal::data {
namespace {

struct Field {
  std::string_view text;  // trimmed; inside the quotes for a quoted field
  bool quoted = false;
};

bool isBlank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && isBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && isBlank(s.back())) s.remove_suffix(1);
  return s;
}

// A cell as it appears in messages: quoted, long ones cut short.
std::string quote(std::string_view s) {
  constexpr size_t kMax = 40;
  std::string out(1, '"');
  out.append(s.substr(0, kMax));
  if (s.size() > kMax) out.append("...");
  out.push_back('"');
  return out;
}

// The text of a quoted field with its doubled quotes undone.
std::string unquote(const Field& f) {
  if (!f.quoted) return std::string(f.text);
  std::string out;
  for (size_t i = 0; i < f.text.size(); ++i) {
    out.push_back(f.text[i]);
    if (f.text[i] == '"') ++i;
  }
  return out;
}

// Splits `line` at commas outside double quotes into `fields` (cleared first).
void split(std::string_view line, std::vector<Field>& fields, const std::string& path,
           long lineNo) {
  fields.clear();
  size_t pos = 0;
  while (true) {
    while (pos < line.size() && isBlank(line[pos])) ++pos;
    if (pos < line.size() && line[pos] == '"') {
      const size_t start = ++pos;
      while (true) {
        pos = line.find('"', pos);
        if (pos == std::string_view::npos)
          throw InputError::at(path, lineNo, static_cast<long>(fields.size() + 1),
                               "unterminated quoted field");
        if (pos + 1 < line.size() && line[pos + 1] == '"') {
          pos += 2;
          continue;
        }
        break;
      }
      fields.push_back({line.substr(start, pos - start), true});
      ++pos;
      while (pos < line.size() && isBlank(line[pos])) ++pos;
      if (pos < line.size() && line[pos] != ',')
        throw InputError::at(path, lineNo, static_cast<long>(fields.size()),
                             "unexpected text after the closing quote, expected a comma");
    } else {
      size_t end = line.find(',', pos);
      if (end == std::string_view::npos) end = line.size();
      fields.push_back({trim(line.substr(pos, end - pos)), false});
      pos = end;
    }
    if (pos >= line.size()) return;
    ++pos;  // the comma
  }
}

// Parses a whole cell as a float; false when it is not a number.
bool parseNumber(std::string_view s, float& value, std::errc& error) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  error = ec;
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

bool isNumber(std::string_view s) {
  float v;
  std::errc ec;
  return parseNumber(s, v, ec) && std::isfinite(v);
}

float number(const Field& f, const std::string& path, long lineNo, long column) {
  float value;
  std::errc ec;
  if (f.text.empty())
    throw InputError::at(path, lineNo, column, "expected a number, found an empty cell");
  if (parseNumber(f.text, value, ec)) {
    if (std::isfinite(value)) return value;
    throw InputError::at(path, lineNo, column, "expected a finite number, found " + quote(f.text));
  }
  if (ec == std::errc::result_out_of_range)
    throw InputError::at(path, lineNo, column,
                         "number " + quote(f.text) + " is outside the range of a float");
  throw InputError::at(path, lineNo, column, "expected a number, found " + quote(f.text));
}

int32_t label(const Field& f, const std::string& path, long lineNo, long column, int numClasses) {
  std::string_view s = f.text;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  int64_t value = -1;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  bool ok = ec == std::errc() && end == s.data() + s.size() && !s.empty();
  if (!ok) {
    // Integral floats ("3.0", as pandas writes them) are labels too.
    double d;
    auto [dend, dec] = std::from_chars(s.data(), s.data() + s.size(), d);
    ok = dec == std::errc() && dend == s.data() + s.size() && !s.empty() && std::isfinite(d) &&
         d == std::floor(d) && std::fabs(d) < 1e18;
    if (ok) value = static_cast<int64_t>(d);
  }
  if (!ok || value < 0 || value >= std::numeric_limits<int32_t>::max())
    throw InputError::at(path, lineNo, column,
                         "label " + quote(f.text) + " is not a non-negative integer" +
                             (ok && value >= 0 ? " below 2147483647" : ""));
  if (numClasses > 0 && value >= numClasses)
    throw InputError::at(path, lineNo, column,
                         "label " + std::to_string(value) + " is outside [0, " +
                             std::to_string(numClasses) + ") (" + std::to_string(numClasses) +
                             " classes)");
  return static_cast<int32_t>(value);
}

// The 0-based label column named by `spec` (an index or a header name).
size_t labelIndex(const std::string& spec, const std::vector<std::string>& header, size_t columns,
                  const std::string& path) {
  std::string_view s = trim(spec);
  size_t index = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), index);
  if (!s.empty() && ec == std::errc() && end == s.data() + s.size()) {
    if (index >= columns)
      throw InputError::at(path, 1, 0,
                           "label column " + std::string(s) + " is out of range: lines have " +
                               std::to_string(columns) + " fields (columns 0 to " +
                               std::to_string(columns - 1) + ")");
    return index;
  }
  if (header.empty())
    throw InputError::at(path, 1, 0,
                         "label column " + quote(s) +
                             " is a name, but the file has no header line (its first line is all "
                             "numbers); give the column's 0-based index instead");
  auto it = std::find(header.begin(), header.end(), s);
  if (it != header.end()) return static_cast<size_t>(it - header.begin());
  std::string names;
  for (size_t i = 0; i < header.size() && i < 20; ++i) names += (i ? ", " : "") + quote(header[i]);
  if (header.size() > 20) names += ", ...";
  throw InputError::at(path, 1, 0, "no column named " + quote(s) + "; the header has " + names);
}

// The next line of `text` from `pos` without its line break; advances `pos` past it.
std::string_view nextLine(std::string_view text, size_t& pos) {
  size_t end = text.find('\n', pos);
  if (end == std::string_view::npos) end = text.size();
  std::string_view line = text.substr(pos, end - pos);
  pos = end + 1;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// Where a data row's label and features are.
struct Layout {
  size_t columns;
  size_t labelColumn;  // == columns without a label column
  bool keepLabels;
  int numClasses;  // 0: any non-negative label
};

// Digit strings of up to 7 digits (pixel values, counts: exact in a float) without from_chars.
bool smallInteger(const char* first, const char* last, float& value) {
  if (first == last || last - first > 7) return false;
  int32_t v = 0;
  for (const char* p = first; p < last; ++p) {
    const unsigned digit = static_cast<unsigned char>(*p) - unsigned{'0'};
    if (digit > 9) return false;
    v = v * 10 + static_cast<int32_t>(digit);
  }
  value = static_cast<float>(v);
  return true;
}

// Parses a row of plain numbers straight from the text. Returns false, with nothing appended,
// when the row needs the general path: quotes, a '+' sign, an integral float or a bad label,
// a cell that is not a number, or the wrong number of fields.
bool fastRow(std::string_view line, const Layout& layout, std::vector<float>& features,
             std::vector<int32_t>& labels) {
  const char* p = line.data();
  const char* const end = p + line.size();
  const size_t featureStart = features.size();
  const size_t labelStart = labels.size();
  const int64_t labelLimit =
      layout.numClasses > 0 ? layout.numClasses : std::numeric_limits<int32_t>::max();
  bool ok = true;
  for (size_t c = 0; c < layout.columns && ok; ++c) {
    // from_chars gets the cell alone: given the rest of the line it reads ahead through it.
    const char* cellEnd =
        static_cast<const char*>(std::memchr(p, ',', static_cast<size_t>(end - p)));
    if (!cellEnd) cellEnd = end;
    // Every field but the last ends at a comma; the last ends the line.
    ok = c + 1 < layout.columns ? cellEnd != end : cellEnd == end;
    if (!ok) break;
    const char* first = p;
    const char* last = cellEnd;
    while (first < last && isBlank(*first)) ++first;
    while (last > first && isBlank(last[-1])) --last;
    if (c != layout.labelColumn) {
      float value = 0.0f;
      if (!smallInteger(first, last, value)) {
        auto [next, ec] = std::from_chars(first, last, value);
        ok = ec == std::errc() && next == last && first != last && std::isfinite(value);
      }
      features.push_back(value);
    } else if (layout.keepLabels) {
      int64_t value = 0;
      auto [next, ec] = std::from_chars(first, last, value);
      ok = ec == std::errc() && next == last && first != last && value >= 0 && value < labelLimit;
      labels.push_back(static_cast<int32_t>(value));
    } else {
      ok = std::find(first, last, '"') == last;
    }
    p = cellEnd == end ? end : cellEnd + 1;
  }
  if (!ok) {
    features.resize(featureStart);
    labels.resize(labelStart);
  }
  return ok;
}

// Parses a row through the field splitter: quoted cells and every error with its position.
void generalRow(std::string_view line, const Layout& layout, std::vector<Field>& fields,
                std::vector<float>& features, std::vector<int32_t>& labels, const std::string& path,
                long lineNo) {
  split(line, fields, path, lineNo);
  if (fields.size() != layout.columns) {
    bool empty = fields.size() == 1 && fields[0].text.empty() && !fields[0].quoted;
    throw InputError::at(
        path, lineNo, 0,
        "expected " + std::to_string(layout.columns) + " fields as on line 1, found " +
            (empty ? std::string("an empty line") : std::to_string(fields.size())));
  }
  for (size_t c = 0; c < layout.columns; ++c) {
    const long column = static_cast<long>(c + 1);
    if (c != layout.labelColumn)
      features.push_back(number(fields[c], path, lineNo, column));
    else if (layout.keepLabels)
      labels.push_back(label(fields[c], path, lineNo, column, layout.numClasses));
  }
}

}  // namespace

Dataset readCsv(const std::string& path, const CsvOptions& options) {
  if (options.numClasses < 0)
    throw UsageError("readCsv: numClasses must be 0 (from the labels) or positive, got " +
                     std::to_string(options.numClasses));
  const std::string content = GzipReader(path).readAll();
  std::string_view text = content;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 byte-order mark
  // Trailing empty lines are dropped; any other empty line is an error below.
  while (!text.empty() && (isBlank(text.back()) || text.back() == '\n' || text.back() == '\r'))
    text.remove_suffix(1);
  if (text.empty()) throw InputError::at(path, 0, 0, "empty file, expected CSV rows of numbers");

  std::vector<Field> fields;
  size_t pos = 0;
  long lineNo = 1;
  const std::string_view first = nextLine(text, pos);
  split(first, fields, path, lineNo);
  const size_t columns = fields.size();
  const bool header =
      std::any_of(fields.begin(), fields.end(), [](const Field& f) { return !isNumber(f.text); });
  std::vector<std::string> names;
  if (header)
    for (const Field& f : fields) names.push_back(unquote(f));

  const bool locateLabel = options.hasLabel;
  const bool keepLabels = options.hasLabel && !options.ignoreLabel;
  const size_t labelColumn =
      locateLabel ? labelIndex(options.labelColumn, names, columns, path) : columns;
  const size_t width = columns - (locateLabel ? 1 : 0);
  if (width == 0)
    throw InputError::at(path, 1, 0, "no feature columns: the only column is the label");

  std::vector<float> features;
  std::vector<int32_t> labels;
  const size_t rowsEstimate = static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  features.reserve(rowsEstimate * width);
  if (keepLabels) labels.reserve(rowsEstimate);

  const Layout layout{columns, labelColumn, keepLabels, options.numClasses};
  std::string_view line = first;
  if (header) {
    if (pos > text.size()) throw InputError::at(path, 0, 0, "no data rows, only a header line");
    ++lineNo;
    line = nextLine(text, pos);
  }
  while (true) {
    if (!fastRow(line, layout, features, labels))
      generalRow(line, layout, fields, features, labels, path, lineNo);
    if (pos > text.size()) break;
    ++lineNo;
    line = nextLine(text, pos);
  }

  const int numClasses = options.numClasses > 0 ? options.numClasses
                         : labels.empty()       ? 0
                                          : *std::max_element(labels.begin(), labels.end()) + 1;
  return Dataset::fromFloats(Shape{static_cast<int64_t>(width)}, std::move(features),
                             std::move(labels), numClasses);
}

}  // namespace shoal::data
