// Reading typed CSV tables: each rank its own byte range of whole rows, parsed on its threads, encoded by a schema fitted across ranks.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shoal/data/dataset.hpp"
#include "shoal/data/table_schema.hpp"
#include "shoal/dist/communicator.hpp"

namespace shoal::data {

// Rows text[begin, end): `begin` is the start of a row (or end), `firstLine` its 1-based line;
// `lines` the line breaks inside (quoted ones included) when counted, else -1.
struct RowRange {
  size_t begin = 0, end = 0;
  int64_t firstLine = 1;
  int64_t lines = -1;
};

// Quote characters and line breaks in `text`: the quote parity tells whether a position is
// inside a quoted field (quotes only open and close fields, "" counts twice).
struct ChunkCounts {
  int64_t quotes = 0, lines = 0;
};
ChunkCounts countChunk(std::string_view text);
// Pieces of text a reader is done with (offsets into the text): a caller that maps a file lets
// go of their pages, so counting a range does not make it all resident at once.
using CountedPieces = std::function<void(size_t begin, size_t end)>;
// countChunk(text[begin, end)) in pieces of 4 MiB, each passed to `counted` (when set) once counted.
ChunkCounts countRange(std::string_view text, size_t begin, size_t end, const CountedPieces& counted);

// The first row start at or after `from` in `text`, where the position `from` is inside a
// quoted field when `inQuotes`: `from` itself when it follows a line break outside quotes (or is
// 0), else the position after the next line break outside quotes, else text.size().
size_t nextRowStart(std::string_view text, size_t from, bool inQuotes);

// Splits the rows of text[range.begin, range.end) into `parts` ranges of whole rows that cover
// each row exactly once (a quoted field may hold line breaks), each with its first line number
// and its count of line breaks; the text it counts goes to `counted` piece by piece.
std::vector<RowRange> splitRows(std::string_view text, RowRange range, int parts, const CountedPieces& counted = {});

// Whole non-negative numbers below 2^31 ("3", "+3", "3.0"): how integer class labels are read.
bool parseIntegerLabel(std::string_view text, int64_t& value);

// A file's columns as every rank sees them: the header (or none), the types (inferred from the
// first rows, then overridden) and where the label column and the data rows are.
struct TableLayout {
  std::string path;
  std::vector<std::string> names;  // header names, or "0", "1", ... without a header
  bool header = false;
  size_t dataStart = 0;            // byte offset of the first data row
  std::vector<ColumnType> types;   // per file column; the label column is Ignored here
  int64_t labelIndex = -1;         // -1: none located
  bool keepLabels = false;
};

// A table's cells after parsing, column by column (index = file column).
struct RawTable {
  int64_t rows = 0;
  std::vector<std::vector<float>> numbers;  // Numeric/Boolean columns; NaN: missing
  // Categorical columns: -1 missing, else an index into `vocabulary` (as read), or the schema's
  // code (0 missing, 1 unknown, 2 + category) once fitted or when read with a schema.
  std::vector<std::vector<int32_t>> codes;
  std::vector<std::vector<std::string>> vocabulary;
  std::vector<int32_t> labels;  // index into labelVocabulary as read; the class once fitted
  std::vector<std::string> labelVocabulary;

  // Moves the rows at `indices` (ascending) out into the table returned (with the same
  // vocabularies); the other rows stay here, in order, compacted in place (no second copy of them).
  RawTable extract(const std::vector<int64_t>& indices);
};

// The file's layout for training: the header, the label column and each column's type, from
// the first `options.inferRows` rows only. InputError "path:line:column: ..." for a bad header,
// an unknown column named in the options, a file without data rows.
TableLayout inspectTable(const std::string& path, const TableOptions& options);
// The layout of a file read with a fitted schema: its columns matched to the schema's by name
// (by position without a header); extra columns are ignored, a missing one is an error.
TableLayout inspectTable(const std::string& path, const TableSchema& schema, bool keepLabels);

// This rank's rows of the table: the data rows are cut into comm.size() byte ranges at row
// boundaries (quote parities exchanged over `comm`), and this rank's range is parsed on
// `threads` threads. With `schema`, categories and labels arrive as the schema's codes and
// classes (an unknown category is code 1, a label not among the classes is an error); without,
// as indices into the vocabularies this rank saw. A gzip-compressed file is read whole by every
// rank (gzip cannot be entered in the middle). InputError "path:line:column: ..." for a cell that
// does not fit its column's type (unless `typeErrorsAsMissing`), a row with the wrong number of
// fields, an unterminated quote, a missing label, a vocabulary past `maxCategories`.
RawTable readTableRows(const TableLayout& layout, const TableOptions& options, const TableSchema* schema,
                       dist::Communicator& comm);

// Fits the schema on the training rows of every rank (collective over `comm`: sums for means and
// scales, a bisection for medians, vocabularies merged and sorted). Every rank gets the same
// schema, whatever the ranks' shares. InputError for an all-empty column, a label column with
// fewer than two classes, a vocabulary past `maxCategories`.
TableSchema fitTableSchema(const RawTable& raw, const TableLayout& layout, const TableOptions& options,
                           dist::Communicator& comm);

// Rewrites the codes and labels of `raw` (read without a schema) into `schema`'s: a category it
// does not know becomes "unknown" (1), a label it does not know is an InputError.
void mapToSchema(RawTable& raw, const TableLayout& layout, const TableSchema& schema);

// The encoded rows [rows, schema.width()] with their labels (none when `raw` has none).
Dataset encodeTable(const RawTable& raw, const TableLayout& layout, const TableSchema& schema);
// The same, consuming `raw`: its columns' memory is released as their rows are encoded (the
// encoded rows and the raw ones are never both whole in memory), and `raw` is left empty.
Dataset encodeTable(RawTable&& raw, const TableLayout& layout, const TableSchema& schema);
// Encodes the first `rows` rows of `raw` (all, when it has fewer) into `out` [rows,
// schema.width()] as encodeTable does, consuming `raw`; `chunkDone(begin, end)` is called after
// each chunk of rows [begin, end) is written (65,536 rows), in order, on the calling thread.
// Returns their labels (none when the layout drops them).
std::vector<int32_t> encodeTableInto(RawTable&& raw, const TableLayout& layout, const TableSchema& schema, int64_t rows,
                                     float* out, const std::function<void(int64_t, int64_t)>& chunkDone);

}  // namespace shoal::data
