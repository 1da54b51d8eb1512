// CSV reading: headers, label columns by index or name, unlabelled files and positioned errors.
#include "shoal/data/csv_reader.hpp"

#include <gtest/gtest.h>

#include <random>

#include "data/temp_dir.hpp"
#include "shoal/error.hpp"

using shoal::InputError;
using shoal::Shape;
using shoal::Tensor;
using shoal::testing::TempDir;
using namespace shoal::data;

namespace {

std::vector<float> allFeatures(const Dataset& d) {
  Tensor input, target;
  std::vector<int64_t> indices(static_cast<size_t>(d.size()));
  for (int64_t i = 0; i < d.size(); ++i) indices[i] = i;
  d.gather(indices, input, target);
  return input.toVector();
}

// Expects readCsv to throw an InputError whose message starts with `where` and contains `pieces`.
void expectCsvError(const std::string& path, const CsvOptions& options, const std::string& where,
                    std::initializer_list<std::string> pieces) {
  try {
    readCsv(path, options);
    ADD_FAILURE() << "expected an InputError at " << where;
  } catch (const InputError& e) {
    std::string what = e.what();
    EXPECT_EQ(what.rfind(where, 0), 0u) << "expected to start with \"" << where << "\": " << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    for (const std::string& piece : pieces)
      EXPECT_NE(what.find(piece), std::string::npos) << "\"" << piece << "\" not in: " << what;
  }
}

}  // namespace

TEST(CsvReader, NoHeaderLabelFirst) {
  TempDir dir;
  Dataset d = readCsv(dir.write("a.csv", std::string("1,0.5,2\n0,-1.5,3e2\n2,+4,.25\n")), {});
  ASSERT_EQ(d.size(), 3);
  EXPECT_EQ(d.sampleShape(), (Shape{2}));
  EXPECT_EQ(d.labels(), (std::vector<int32_t>{1, 0, 2}));
  EXPECT_EQ(d.numClasses(), 3);  // max label + 1
  EXPECT_EQ(allFeatures(d), (std::vector<float>{0.5f, 2, -1.5f, 300, 4, 0.25f}));
  EXPECT_EQ(d.preprocessing().offset, std::vector<float>{0.0f});
  EXPECT_EQ(d.preprocessing().scale, std::vector<float>{1.0f});
}

TEST(CsvReader, HeaderWithNamedLabelColumnInTheMiddle) {
  TempDir dir;
  std::string path =
      dir.write("b.csv", std::string("x1, \"x 2\" ,class,x3\r\n1,2,0,3\r\n4,5,1,6\r\n\r\n\n"));
  CsvOptions options;
  options.labelColumn = "class";
  options.numClasses = 4;
  Dataset d = readCsv(path, options);
  ASSERT_EQ(d.size(), 2);
  EXPECT_EQ(d.sampleShape(), (Shape{3}));
  EXPECT_EQ(d.labels(), (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(d.numClasses(), 4);
  EXPECT_EQ(allFeatures(d), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  // The quoted, padded header name and the index name the same column.
  options.labelColumn = "2";
  EXPECT_EQ(readCsv(path, options).labels(), (std::vector<int32_t>{0, 1}));
  options.labelColumn = "x 2";
  options.numClasses = 0;
  Dataset byQuotedName = readCsv(path, options);
  EXPECT_EQ(byQuotedName.labels(), (std::vector<int32_t>{2, 5}));
  EXPECT_EQ(allFeatures(byQuotedName), (std::vector<float>{1, 0, 3, 4, 1, 6}));
}

TEST(CsvReader, LabelIndexInTheMiddleWithoutHeader) {
  TempDir dir;
  CsvOptions options;
  options.labelColumn = "1";
  Dataset d = readCsv(dir.write("c.csv", std::string("0.1,3,0.2\n0.3,1.0,0.4")), options);
  EXPECT_EQ(d.labels(), (std::vector<int32_t>{3, 1}));
  EXPECT_EQ(allFeatures(d), (std::vector<float>{0.1f, 0.2f, 0.3f, 0.4f}));
}

TEST(CsvReader, NoLabelColumn) {
  TempDir dir;
  CsvOptions options;
  options.hasLabel = false;
  Dataset d = readCsv(dir.write("d.csv", std::string("a,b\n1,2\n3,4\n")), options);
  EXPECT_FALSE(d.hasLabels());
  EXPECT_EQ(d.sampleShape(), (Shape{2}));
  Tensor input, target;
  std::vector<int64_t> indices{1, 0};
  d.gather(indices, input, target);
  EXPECT_EQ(input.toVector(), (std::vector<float>{3, 4, 1, 2}));
  EXPECT_EQ(target.toVector(), (std::vector<float>{-1, -1}));
}

TEST(CsvReader, IgnoredLabelColumnIsSkipped) {
  TempDir dir;
  CsvOptions options;
  options.labelColumn = "y";
  options.ignoreLabel = true;
  Dataset d = readCsv(dir.write("e.csv", std::string("a,y,b\n1,7,2\n3,not-a-label,4\n")), options);
  EXPECT_FALSE(d.hasLabels());
  EXPECT_EQ(d.size(), 2);
  EXPECT_EQ(d.sampleShape(), (Shape{2}));
  EXPECT_EQ(allFeatures(d), (std::vector<float>{1, 2, 3, 4}));
}

TEST(CsvReader, GzipCompressedFile) {
  TempDir dir;
  std::string text = "label,v\n1,0.5\n0,1.5\n";
  Dataset d =
      readCsv(dir.writeGzip("f.csv.gz", std::vector<uint8_t>(text.begin(), text.end())), {});
  EXPECT_EQ(d.labels(), (std::vector<int32_t>{1, 0}));
  EXPECT_EQ(allFeatures(d), (std::vector<float>{0.5f, 1.5f}));
}

TEST(CsvReader, IntegralFloatLabels) {
  TempDir dir;
  Dataset d = readCsv(dir.write("g.csv", std::string("2.0,1\n0,1\n")), {});
  EXPECT_EQ(d.labels(), (std::vector<int32_t>{2, 0}));
}

TEST(CsvReader, NonNumericCellAtLineAndColumn) {
  TempDir dir;
  std::string path = dir.write("h.csv", std::string("y,a,b\n0,1,2\n1,3,abc\n"));
  expectCsvError(path, {}, path + ":3:3: ", {"expected a number", "\"abc\""});
  std::string empty = dir.write("i.csv", std::string("0,1,2\n1,,3\n"));
  expectCsvError(empty, {}, empty + ":2:2: ", {"expected a number", "empty cell"});
  std::string nan = dir.write("j.csv", std::string("0,1\n1,nan\n"));
  expectCsvError(nan, {}, nan + ":2:2: ", {"finite number", "\"nan\""});
  std::string huge = dir.write("k.csv", std::string("0,1\n1,1e60\n"));
  expectCsvError(huge, {}, huge + ":2:2: ", {"\"1e60\"", "range of a float"});
}

TEST(CsvReader, RaggedRows) {
  TempDir dir;
  std::string shortRow = dir.write("a.csv", std::string("0,1,2\n1,3\n"));
  expectCsvError(shortRow, {}, shortRow + ":2: ", {"expected 3 fields", "found 2"});
  std::string longRow = dir.write("b.csv", std::string("h1,h2\n0,1\n1,3\n0,1,2\n"));
  expectCsvError(longRow, {}, longRow + ":4: ", {"expected 2 fields", "found 3"});
  CsvOptions ignoreLast;
  ignoreLast.labelColumn = "2";
  ignoreLast.ignoreLabel = true;
  std::string extra = dir.write("d.csv", std::string("1,2,3\n4,5,6,7\n"));
  expectCsvError(extra, ignoreLast, extra + ":2: ", {"expected 3 fields", "found 4"});
  std::string missing = dir.write("e.csv", std::string("1,2,3\n4,5\n"));
  expectCsvError(missing, ignoreLast, missing + ":2: ", {"expected 3 fields", "found 2"});
  std::string gap = dir.write("c.csv", std::string("0,1\n\n1,3\n"));
  expectCsvError(gap, {}, gap + ":2: ", {"expected 2 fields", "empty line"});
}

TEST(CsvReader, BadLabels) {
  TempDir dir;
  std::string fraction = dir.write("a.csv", std::string("0,1\n2.5,1\n"));
  expectCsvError(fraction, {},
                 fraction + ":2:1: ", {"label \"2.5\"", "not a non-negative integer"});
  std::string negative = dir.write("b.csv", std::string("f,label\n1,-1\n"));
  CsvOptions byName;
  byName.labelColumn = "label";
  expectCsvError(negative, byName,
                 negative + ":2:2: ", {"label \"-1\"", "not a non-negative integer"});
  std::string word = dir.write("c.csv", std::string("1,1\ncat,1\n"));
  expectCsvError(word, {}, word + ":2:1: ", {"label \"cat\""});
  CsvOptions tenClasses;
  tenClasses.numClasses = 10;
  std::string big = dir.write("d.csv", std::string("3,1\n10,1\n"));
  expectCsvError(big, tenClasses, big + ":2:1: ", {"label 10", "outside [0, 10)"});
}

TEST(CsvReader, UnknownOrOutOfRangeLabelColumn) {
  TempDir dir;
  std::string path = dir.write("a.csv", std::string("a,b,c\n1,2,3\n"));
  CsvOptions options;
  options.labelColumn = "target";
  expectCsvError(path, options,
                 path + ":1: ", {"no column named \"target\"", "\"a\", \"b\", \"c\""});
  options.labelColumn = "3";
  expectCsvError(path, options, path + ":1: ", {"label column 3 is out of range", "3 fields"});
  std::string noHeader = dir.write("b.csv", std::string("1,2,3\n"));
  options.labelColumn = "target";
  expectCsvError(noHeader, options, noHeader + ":1: ", {"\"target\"", "no header line"});
  std::string single = dir.write("c.csv", std::string("1\n2\n"));
  expectCsvError(single, {}, single + ":1: ", {"no feature columns"});
}

TEST(CsvReader, EmptyFileAndHeaderOnly) {
  TempDir dir;
  std::string empty = dir.write("a.csv", std::string("\n  \n"));
  expectCsvError(empty, {}, empty + ": ", {"empty file"});
  std::string header = dir.write("b.csv", std::string("label,x\n"));
  expectCsvError(header, {}, header + ": ", {"no data rows"});
  expectCsvError(dir.file("missing.csv"), {}, dir.file("missing.csv") + ": ", {"no such file"});
}

TEST(CsvReader, QuotedFields) {
  TempDir dir;
  std::string path =
      dir.write("a.csv", std::string("\"la,bel\",\"say \"\"x\"\"\"\n\"1\", \"2.5\"\n"));
  CsvOptions options;
  options.labelColumn = "la,bel";
  Dataset d = readCsv(path, options);
  EXPECT_EQ(d.labels(), (std::vector<int32_t>{1}));
  EXPECT_EQ(allFeatures(d), (std::vector<float>{2.5f}));
  std::string open = dir.write("b.csv", std::string("1,2\n0,\"3\n"));
  expectCsvError(open, {}, open + ":2:2: ", {"unterminated quoted field"});
}

TEST(CsvReader, SpacedSignedAndQuotedCellsReadLikePlainOnes) {
  TempDir dir;
  Dataset plain = readCsv(dir.write("a.csv", std::string("1,0.5,-2,7\n0,3,4e-3,12\n")), {});
  Dataset odd =
      readCsv(dir.write("b.csv", std::string(" 1 , +0.5,\"-2\" ,7.0\n0.0,3 ,  4e-3 ,+12\n")), {});
  EXPECT_EQ(odd.labels(), plain.labels());
  EXPECT_EQ(odd.rawFeatures(), plain.rawFeatures());
}

TEST(CsvReader, RandomCorruptionOnlyRaisesInputErrors) {
  TempDir dir;
  const std::string good = "label,a,b\n1,0.5,2\n0,\"3\",4\n2,5,6e1\n";
  const std::string alphabet = ",\"\n\r 0123456789.-+eE x";
  std::mt19937 rng(3);
  int errors = 0;
  for (int trial = 0; trial < 150; ++trial) {
    std::string text = good;
    for (int k = 0; k < 1 + static_cast<int>(rng() % 3); ++k)
      text[rng() % text.size()] = alphabet[rng() % alphabet.size()];
    std::string path = dir.write("fuzz.csv", text);
    try {
      Dataset d = readCsv(path, {});
      EXPECT_GT(d.size(), 0);
      EXPECT_EQ(d.rawFeatures().size(), static_cast<size_t>(d.size() * d.sampleShape()[0]));
    } catch (const InputError&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 30);
}
