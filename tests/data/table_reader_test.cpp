// Typed tables: type inference and overrides, imputation and indicators against hand-computed rows,
// vocabularies and the unknown bucket, row ranges that cover every row once, and bad input.
#include <gtest/gtest.h>

#include <charconv>
#include <bit>
#include <cmath>
#include <random>

#include "data/temp_dir.hpp"
#include "shoal/data/table_reader.hpp"
#include "shoal/error.hpp"

using namespace shoal;
using data::ColumnType;

namespace {

struct Read {
  data::TableLayout layout;
  data::TableSchema schema;
  data::Dataset set;
};

Read readTable(const std::string& path, const data::TableOptions& options) {
  auto single = dist::singleProcess();
  Read r{data::inspectTable(path, options), {}, {}};
  data::RawTable raw = data::readTableRows(r.layout, options, nullptr, *single);
  r.schema = data::fitTableSchema(raw, r.layout, options, *single);
  data::mapToSchema(raw, r.layout, r.schema);
  r.set = data::encodeTable(raw, r.layout, r.schema);
  return r;
}

std::vector<float> row(const data::Dataset& d, int64_t i) {
  const auto* p = static_cast<const float*>(d.sampleMemory()) + i * d.sampleShape()[0];
  return {p, p + d.sampleShape()[0]};
}

std::string messageOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

data::TableOptions labelled(const std::string& label) {
  data::TableOptions o;
  o.labelColumn = label;
  return o;
}

}  // namespace

TEST(TableReader, InfersTypesAndTakesOverrides) {
  shoal::testing::TempDir dir;
  const std::string path = dir.write("t.csv",
                                     "\xEF\xBB\xBFy,num,cat,flag,code,skip\r\n"
                                     "a,1.5,red,true,10,x\r\n"
                                     "b,,\"blue, dark\",FALSE,20,y\r\n"
                                     "a,NA,red,,10,z\r\n");
  data::TableOptions o = labelled("y");
  data::TableLayout l = data::inspectTable(path, o);
  EXPECT_TRUE(l.header);
  EXPECT_EQ(l.names, (std::vector<std::string>{"y", "num", "cat", "flag", "code", "skip"}));
  EXPECT_EQ(l.types, (std::vector<ColumnType>{ColumnType::Ignored, ColumnType::Numeric, ColumnType::Categorical,
                                              ColumnType::Boolean, ColumnType::Numeric, ColumnType::Categorical}));
  o.categorical = {"code"};
  o.ignore = {"5"};  // by index
  l = data::inspectTable(path, o);
  EXPECT_EQ(l.types[4], ColumnType::Categorical);
  EXPECT_EQ(l.types[5], ColumnType::Ignored);
  o.numeric = {"nope"};
  EXPECT_NE(messageOf([&] { data::inspectTable(path, o); }).find("\"nope\" is not a column"), std::string::npos);
}

// num: 1, missing, 4, 7 -> mean 4, median 4 (of 1, 4, 7); standard deviation sqrt(6).
// cat: r, g, missing, r -> categories {g, r}: codes missing 0, unknown 1, g 2, r 3 (one-hot).
TEST(TableReader, ImputesWithIndicatorsAgainstHandComputedRows) {
  shoal::testing::TempDir dir;
  const std::string path = dir.write("t.csv", "label,num,cat\n0,1,r\n1,,g\n0,4,NA\n1,7,r\n");
  for (const std::string impute : {"mean", "median"}) {
    data::TableOptions o = labelled("label");
    o.impute = impute;
    const Read r = readTable(path, o);
    ASSERT_EQ(r.schema.width(), 6);
    const double s = std::sqrt(6.0);
    const auto f = [&](double x) { return static_cast<float>((x - 4.0) / s); };
    const std::vector<std::vector<float>> expected{{f(1), 0, 0, 0, 0, 1},
                                                   {f(4), 1, 0, 0, 1, 0},
                                                   {f(4), 0, 1, 0, 0, 0},
                                                   {f(7), 0, 0, 0, 0, 1}};
    for (int64_t i = 0; i < 4; ++i)
      for (size_t j = 0; j < 6; ++j) EXPECT_FLOAT_EQ(row(r.set, i)[j], expected[static_cast<size_t>(i)][j]) << i << "," << j;
    EXPECT_EQ(r.set.labels(), (std::vector<int32_t>{0, 1, 0, 1}));
    EXPECT_EQ(r.schema.classes, 2);
    EXPECT_TRUE(r.schema.classNames.empty());  // integer labels
  }
  // An even count: the median is the mean of the middle two (1, 2, 10, 20 -> 6), not the mean 8.25.
  const std::string even = dir.write("e.csv", "label,num\n0,1\n1,2\n0,10\n1,20\n0,\n");
  data::TableOptions o = labelled("label");
  o.impute = "median";
  EXPECT_DOUBLE_EQ(readTable(even, o).schema.columns[0].fill, 6.0);
}

TEST(TableReader, StringLabelsAndTheUnknownBucketThroughTheSchemasJson) {
  shoal::testing::TempDir dir;
  const std::string train = dir.write("train.csv", "Status,home\ngood,rent\nbad,own\ngood,rent\n");
  data::TableOptions o = labelled("Status");
  const Read r = readTable(train, o);
  EXPECT_EQ(r.schema.classNames, (std::vector<std::string>{"bad", "good"}));
  EXPECT_EQ(r.set.labels(), (std::vector<int32_t>{1, 0, 1}));
  const data::TableSchema back = data::TableSchema::fromJson(r.schema.toJson(), "test");
  EXPECT_EQ(back.toJson(), r.schema.toJson());
  // Columns in another order, a category never seen, a missing one, no label column.
  const std::string fresh = dir.write("new.csv", "home,extra\nboat,1\nown,2\n,3\n");
  const data::TableLayout l = data::inspectTable(fresh, back, /*keepLabels=*/false);
  auto single = dist::singleProcess();
  const data::RawTable raw = data::readTableRows(l, o, &back, *single);
  const data::Dataset d = data::encodeTable(raw, l, back);
  EXPECT_EQ(row(d, 0), (std::vector<float>{0, 1, 0, 0}));  // unknown
  EXPECT_EQ(row(d, 1), (std::vector<float>{0, 0, 1, 0}));  // own
  EXPECT_EQ(row(d, 2), (std::vector<float>{1, 0, 0, 0}));  // missing
  EXPECT_FALSE(d.hasLabels());
  // A label the model does not know is an error with its position.
  const std::string wrong = dir.write("wrong.csv", "Status,home\ngood,rent\nugly,own\n");
  const data::TableLayout wl = data::inspectTable(wrong, back, true);
  EXPECT_NE(messageOf([&] { data::readTableRows(wl, o, &back, *single); }).find("wrong.csv:3:1: label \"ugly\""),
            std::string::npos);
}

// Several fields with doubled quotes in one record (views into unescaped copies must stay valid
// while more are made: found by fuzz_table).
TEST(TableReader, ManyQuotedFieldsWithDoubledQuotesInOneRecord) {
  shoal::testing::TempDir dir;
  std::string header = "y", row = "0", other = "1";
  for (int i = 0; i < 40; ++i) {
    header += ",c" + std::to_string(i);
    row += ",\"a\"\"" + std::to_string(i) + "\"";
    other += ",b";
  }
  const Read r = readTable(dir.write("q.csv", header + "\n" + row + "\n" + other + "\n"), labelled("y"));
  EXPECT_EQ(r.schema.columns[39].categories, (std::vector<std::string>{"a\"39", "b"}));
}

// Numbers read exactly as std::from_chars reads them, whatever their form (the reader has a
// shorter path for plain decimals).
TEST(TableReader, NumbersAreReadAsFromCharsReadsThem) {
  shoal::testing::TempDir dir;
  std::mt19937_64 gen(18);
  std::vector<std::string> cells{"0", "-0", "1.", ".5", "-.25", "0000012", "9999999", "99999999", "1234.567",
                                 "-0.0000001", "1e3", "+7", "3.4028235e38", "16777217", "0.1", "-123.4567"};
  for (int i = 0; i < 20000; ++i) {
    const int digits = 1 + static_cast<int>(gen() % 9), point = static_cast<int>(gen() % (digits + 1));
    std::string cell = gen() % 2 ? "-" : "";
    for (int d = 0; d < digits; ++d) {
      if (d == point && gen() % 2) cell += '.';
      cell += static_cast<char>('0' + gen() % 10);
    }
    cells.push_back(cell);
  }
  std::string text = "y,x\n";
  for (size_t i = 0; i < cells.size(); ++i) text += std::to_string(i % 2) + "," + cells[i] + "\n";
  data::TableOptions o = labelled("y");
  auto single = dist::singleProcess();
  const std::string path = dir.write("n.csv", text);
  const data::RawTable raw = data::readTableRows(data::inspectTable(path, o), o, nullptr, *single);
  ASSERT_EQ(raw.rows, static_cast<int64_t>(cells.size()));
  for (size_t i = 0; i < cells.size(); ++i) {
    std::string_view c = cells[i];
    if (c.front() == '+') c.remove_prefix(1);
    float expected = 0;
    std::from_chars(c.data(), c.data() + c.size(), expected);
    EXPECT_EQ(std::bit_cast<uint32_t>(raw.numbers[1][i]), std::bit_cast<uint32_t>(expected)) << cells[i];
  }
}

TEST(TableReader, HighCardinalityColumnsAreEmbeddedAfterTheDenseFeatures) {
  shoal::testing::TempDir dir;
  std::string text = "y,city,size\n";
  for (int i = 0; i < 40; ++i) text += std::to_string(i % 2) + ",c" + std::to_string(i % 20) + "," + std::to_string(i) + "\n";
  const std::string path = dir.write("t.csv", text);
  data::TableOptions o = labelled("y");
  Read r = readTable(path, o);
  ASSERT_TRUE(r.schema.columns[0].embedded);  // 20 + 2 codes > 16
  EXPECT_EQ(r.schema.denseWidth(), 1);
  EXPECT_EQ(r.schema.width(), 2);
  EXPECT_EQ(row(r.set, 3)[1], 2.0f + 13.0f);  // "c3" is the 14th of c0, c1, c10, ..., c19, c2, c3
  o.oneHot = {"city"};
  EXPECT_EQ(readTable(path, o).schema.width(), 1 + 22);
}

TEST(RowRanges, CoverEveryRowExactlyOnce) {
  // Quoted line breaks, doubled quotes, CRLF, odd sizes, and a last line without a line break.
  const std::string text =
      "1,\"a\nb\",x\n22,\"\"\"q\"\"\",yy\r\n333,\"c,\n\n\",z\n4,d,w\n55555,\"e\",v\n6,\"\n\",u";
  // Every row start in `text`, by a plain walk from the beginning.
  std::vector<size_t> starts{0};
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '"') quoted = !quoted;
    if (text[i] == '\n' && !quoted && i + 1 < text.size()) starts.push_back(i + 1);
  }
  ASSERT_EQ(starts.size(), 6u);
  for (int parts = 1; parts <= 9; ++parts) {
    const auto ranges = data::splitRows(text, {0, text.size(), 1}, parts);
    ASSERT_EQ(ranges.size(), static_cast<size_t>(parts));
    EXPECT_EQ(ranges.front().begin, 0u);
    EXPECT_EQ(ranges.back().end, text.size());
    size_t rows = 0;
    for (size_t i = 0; i < ranges.size(); ++i) {
      if (i > 0) {
        EXPECT_EQ(ranges[i].begin, ranges[i - 1].end);
      }
      if (ranges[i].begin < text.size()) {
        EXPECT_NE(std::find(starts.begin(), starts.end(), ranges[i].begin), starts.end()) << parts << " " << i;
      }
      rows += static_cast<size_t>(std::count_if(starts.begin(), starts.end(), [&](size_t s) {
        return s >= ranges[i].begin && s < ranges[i].end;
      }));
      // The first line number counts every line break before the range, quoted ones included.
      EXPECT_EQ(ranges[i].firstLine, 1 + std::count(text.begin(), text.begin() + static_cast<long>(ranges[i].begin), '\n'));
    }
    EXPECT_EQ(rows, starts.size()) << parts;
  }
}

TEST(TableReader, ThreadsReadTheSameRowsAsOne) {
  shoal::testing::TempDir dir;
  std::string text = "y,note,v\n";
  for (int i = 0; i < 60000; ++i)
    text += std::to_string(i % 3) + (i % 7 ? ",plain," : ",\"multi\nline, \"\"quoted\"\"\",") + std::to_string(i) + "\n";
  text += "1,last,9";  // no final line break; over 1 MiB in all, so it is split among threads
  const std::string path = dir.write("t.csv", text);
  data::TableOptions one = labelled("y"), many = labelled("y");
  one.threads = 1;
  many.threads = 5;
  auto single = dist::singleProcess();
  const data::TableLayout l = data::inspectTable(path, one);
  const data::RawTable a = data::readTableRows(l, one, nullptr, *single);
  const data::RawTable b = data::readTableRows(l, many, nullptr, *single);
  EXPECT_EQ(a.rows, 60001);
  EXPECT_EQ(b.rows, a.rows);
  EXPECT_EQ(b.numbers, a.numbers);
  EXPECT_EQ(b.codes, a.codes);
  EXPECT_EQ(b.vocabulary, a.vocabulary);
  EXPECT_EQ(b.labels, a.labels);
  EXPECT_EQ(a.vocabulary[1], (std::vector<std::string>{"multi\nline, \"quoted\"", "plain", "last"}));
}

// Over 4 MiB and 150,000 rows: the reader releases the pages it has parsed as it goes, and
// encoding that consumes the raw rows (releasing them chunk by chunk of 65,536 rows) gives the
// same rows as encoding that keeps them; 3,000 categories grow the category table many times.
TEST(TableReader, ReleasingParsedPagesAndConsumedRowsChangesNoValue) {
  shoal::testing::TempDir dir;
  std::string text = "y,x,city,flag,z\n";
  for (int i = 0; i < 150000; ++i)
    text += std::to_string(i % 2) + "," + (i % 11 ? std::to_string(i % 977) + ".25" : "") + ",c" +
            std::to_string(i * 7919 % 3000) + (i % 3 ? ",true," : ",false,") + std::to_string(i) + ".125\n";
  ASSERT_GT(text.size(), 4u << 20);
  const std::string path = dir.write("t.csv", text);
  auto single = dist::singleProcess();
  data::TableOptions one = labelled("y"), many = labelled("y");
  one.threads = 1;
  many.threads = 3;
  const data::TableLayout l = data::inspectTable(path, one);
  data::RawTable a = data::readTableRows(l, one, nullptr, *single);
  data::RawTable b = data::readTableRows(l, many, nullptr, *single);
  ASSERT_EQ(a.rows, 150000);
  auto bits = [](const std::vector<std::vector<float>>& columns) {  // NaN (missing) equals NaN here
    std::vector<std::vector<uint32_t>> out;
    for (const auto& c : columns) {
      out.emplace_back();
      for (float v : c) out.back().push_back(std::bit_cast<uint32_t>(v));
    }
    return out;
  };
  EXPECT_EQ(bits(a.numbers), bits(b.numbers));
  EXPECT_EQ(a.codes, b.codes);
  EXPECT_EQ(a.vocabulary, b.vocabulary);
  EXPECT_EQ(a.vocabulary[2].size(), 3000u);
  EXPECT_FLOAT_EQ(a.numbers[1][12], 12.25f);
  EXPECT_TRUE(std::isnan(a.numbers[1][11]));
  const data::TableSchema schema = data::fitTableSchema(a, l, one, *single);
  data::mapToSchema(a, l, schema);
  data::mapToSchema(b, l, schema);
  const data::Dataset kept = data::encodeTable(a, l, schema);
  const data::Dataset consumed = data::encodeTable(std::move(b), l, schema);
  EXPECT_EQ(b.rows, 0);
  ASSERT_EQ(consumed.size(), kept.size());
  const auto values = static_cast<size_t>(kept.size() * schema.width());
  const auto* x = static_cast<const float*>(kept.sampleMemory());
  const auto* y = static_cast<const float*>(consumed.sampleMemory());
  EXPECT_TRUE(std::equal(x, x + values, y));
  EXPECT_EQ(kept.labels(), consumed.labels());
  EXPECT_EQ(kept.labels(), a.labels);
}

// The quote and line-break counts (8 bytes at a time) agree with a byte-by-byte count at every
// length and alignment.
TEST(RowRanges, CountsAgreeWithAByteByByteCount) {
  std::mt19937 random(3);
  std::string text(300, ' ');
  for (char& c : text) c = "ab\"\n,\x80\xff"[random() % 7];
  for (size_t begin = 0; begin < 9; ++begin)
    for (size_t length = 0; length + begin <= text.size(); length += 7) {
      const std::string_view part = std::string_view(text).substr(begin, length);
      const data::ChunkCounts counts = data::countChunk(part);
      EXPECT_EQ(counts.quotes, std::count(part.begin(), part.end(), '"'));
      EXPECT_EQ(counts.lines, std::count(part.begin(), part.end(), '\n'));
    }
}

TEST(TableReader, BadInputIsOneClearError) {
  shoal::testing::TempDir dir;
  data::TableOptions o = labelled("y");
  o.inferRows = 3;
  auto read = [&](const std::string& name, const std::string& text) {
    return messageOf([&] { readTable(dir.write(name, text), o); });
  };
  // A string in a numeric column after the rows the type was inferred from.
  std::string msg = read("change.csv", "y,x\n0,1\n1,2\n0,3\n1,4\n0,oops\n");
  EXPECT_NE(msg.find("change.csv:6:2: column \"x\" is numeric"), std::string::npos) << msg;
  EXPECT_NE(msg.find("a string, \"oops\""), std::string::npos) << msg;
  o.typeErrorsAsMissing = true;
  const Read r = readTable(dir.file("change.csv"), o);
  EXPECT_TRUE(r.schema.columns[0].indicator);
  o.typeErrorsAsMissing = false;
  msg = read("one.csv", "y,x\ngood,1\ngood,2\n");
  EXPECT_NE(msg.find("holds one class (\"good\")"), std::string::npos) << msg;
  msg = read("empty.csv", "y,x,z\n0,,1\n1,NA,2\n");
  EXPECT_NE(msg.find("column \"x\" is empty in every training row"), std::string::npos) << msg;
  o.maxCategories = 3;
  msg = read("ids.csv", "y,id\n0,a\n1,b\n0,c\n1,d\n");
  EXPECT_NE(msg.find("ids.csv:5:2: column \"id\" has more than 3 distinct values"), std::string::npos) << msg;
  msg = read("fields.csv", "y,x\n0,1\n1,2,3\n");
  EXPECT_NE(msg.find("fields.csv:3: expected 2 fields"), std::string::npos) << msg;
  msg = read("quote.csv", "y,x\n0,\"1\n");
  EXPECT_NE(msg.find("unterminated quoted field"), std::string::npos) << msg;
  msg = read("twice.csv", "y,x,x\n0,1,2\n1,2,3\n");
  EXPECT_NE(msg.find("twice.csv:1:3: the column name \"x\" is also column 2's"), std::string::npos) << msg;
  msg = read("label.csv", "y,x\n0,1\n,2\n");
  EXPECT_NE(msg.find("label.csv:3:1: the label is missing"), std::string::npos) << msg;
}
