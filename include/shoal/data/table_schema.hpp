// Typed tables: how a CSV table is read (TableOptions) and the schema fitted on its training rows that encodes every row (TableSchema).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace shoal::data {

enum class ColumnType { Numeric, Boolean, Categorical, Ignored };

// "numeric", "boolean", "categorical", "ignored".
std::string columnTypeName(ColumnType type);

struct TableOptions {
  // The label column: a 0-based index or a header name.
  std::string labelColumn = "0";
  bool hasLabel = true;
  // The label column is located and skipped (predicting on a file that carries labels).
  bool ignoreLabel = false;
  // Type overrides by column name (or 0-based index); every other column's type is inferred.
  std::vector<std::string> categorical, numeric, ignore;
  // Categorical columns that go through an Embedding / are one-hot whatever their cardinality.
  std::vector<std::string> embed, oneHot;
  // Cells that mean "missing" (compared after trimming; a quoted cell too).
  std::vector<std::string> missing{"", "NA", "NaN", "null"};
  // What fills a missing numeric cell: the training set's "mean" or "median".
  std::string impute = "mean";
  // Categorical columns with more categories than this (missing and unknown included) go through
  // an Embedding, the others are one-hot.
  int64_t embedThreshold = 16;
  // More distinct values than this in one categorical column is an error (an identifier column?).
  int64_t maxCategories = 100000;
  // A cell that does not fit its column's type: an error (false) or a missing value (true).
  bool typeErrorsAsMissing = false;
  // Types are inferred from the first `inferRows` data rows of the file.
  int64_t inferRows = 1000;
  // Parsing threads per process; 0: the process's OpenMP thread count (a run sets it per rank:
  // the cores shared out among the ranks on the machine; else all cores).
  int threads = 0;
};

// One feature column of the table, as fitted on the training rows.
struct TableColumn {
  std::string name;  // the header's name, or the 0-based index without a header
  ColumnType type = ColumnType::Numeric;
  // Numeric and Boolean (true 1, false 0): the encoded value is (x - center) / scale, a missing
  // cell takes x = fill (the training mean or median); `indicator` adds a 0/1 feature that is 1
  // for a missing cell (given when the training rows had missing cells).
  double fill = 0, center = 0, scale = 1;
  bool indicator = false;
  // Categorical: the training set's categories, sorted by byte value. Code 0 is "missing", code
  // 1 "unknown" (a value not in `categories`), code 2 + i is categories[i].
  std::vector<std::string> categories;
  bool embedded = false;  // through an Embedding of `embedDim` (else one-hot over every code)
  int64_t embedDim = 0;

  int64_t codes() const { return static_cast<int64_t>(categories.size()) + 2; }
};

// The whole encoding of a table, stored in model files ("table" in the header) so that eval,
// predict and the Python API encode their rows exactly as training did. An encoded row holds,
// in this order: each numeric/boolean column's value, each indicator, each one-hot category
// column's codes() values, then one category code per embedded column (denseWidth() values
// before those).
struct TableSchema {
  std::vector<TableColumn> columns;     // in file order, ignored columns included
  std::string labelName;                // the label column's name (empty: no label)
  std::vector<std::string> classNames;  // string labels in class order; empty: integer labels
  int64_t classes = 0;
  std::vector<std::string> missing;     // the missing-value cells it was read with
  bool typeErrorsAsMissing = false;

  int64_t denseWidth() const;
  int64_t embeddedCount() const;
  int64_t width() const { return denseWidth() + embeddedCount(); }
  // The index of column `name`, or -1.
  int64_t find(const std::string& name) const;
  // A class name for class `index` (the index itself for integer labels).
  std::string className(int64_t index) const;

  nlohmann::json toJson() const;
  // Throws InputError starting with `source` for a missing or malformed field.
  static TableSchema fromJson(const nlohmann::json& j, const std::string& source);
};

}  // namespace shoal::data
