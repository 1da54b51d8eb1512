// CSV files of numeric features with an optional integer label column, read into a Dataset.
#pragma once
#include <string>

#include "shoal/data/dataset.hpp"

namespace shoal::data {

struct CsvOptions {
  // The label column: a 0-based index ("0", "4") or a name from the header line.
  std::string labelColumn = "0";
  // False: every column is a feature and the data set is unlabelled.
  bool hasLabel = true;
  // True (with hasLabel): the label column is located and skipped, the data set is unlabelled
  // (predicting on a file that carries labels).
  bool ignoreLabel = false;
  // Number of classes; 0 means the largest label + 1.
  int numClasses = 0;
};

// Reads `path` (plain or gzip-compressed). The first line is a header when any of its cells is
// not a number; a named label column needs one. Cells are trimmed of spaces and may be quoted.
// Features become floats with sampleShape {features}; labels must be non-negative integers.
// Empty lines are allowed only at the end. Preprocessing stays the identity.
// Throws InputError as "path:line:column: what" (1-based; the column is the field number) for
// a non-numeric cell, a bad label, a line with the wrong number of fields ("path:line: ..."),
// an unknown label column, an empty file or a file without data rows.
Dataset readCsv(const std::string& path, const CsvOptions& options = {});

}  // namespace shoal::data
