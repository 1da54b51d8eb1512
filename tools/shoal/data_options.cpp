// The data flags: the Fashion-MNIST shorthand, IDX files or CSV files, and CSV preprocessing.
#include "data_options.hpp"

namespace shoal::cli {

void addDataOptions(CLI::App& app, train::DataConfig& o, bool training) {
  app.add_option("--data", o.named, "Named data set: fashion-mnist (Debian's dataset-fashion-mnist)")
      ->check(CLI::IsMember({"fashion-mnist"}));
  if (training) {
    app.add_option("--train-images", o.trainImages, "Training images, IDX (raw or .gz)");
    app.add_option("--train-labels", o.trainLabels, "Training labels, IDX (raw or .gz)");
    app.add_option("--train-csv", o.trainCsv, "Training set, CSV (label column + numeric features)");
    app.add_option("--test-csv", o.testCsv, "Test set, CSV, evaluated after training");
    auto* scale = app.add_flag_callback("--scale", [&o] { o.preprocessing = "scale"; },
                                        "CSV: map each feature's training-set [min, max] to [0, 1]");
    app.add_flag_callback("--standardize", [&o] { o.preprocessing = "standardize"; },
                          "CSV: subtract each feature's training-set mean, divide by its standard deviation")
        ->excludes(scale);
    app.add_option("--train-limit", o.trainLimit, "Use only the first N training samples");
    app.add_flag("--table", o.table,
                 "Read the CSV files as typed tables (inferred column types, missing values, categories "
                 "one-hot) for any model; --model tabular always does");
    app.add_option("--categorical", o.categorical, "Table: columns read as categories (names or 0-based indices)")
        ->delimiter(',');
    app.add_option("--numeric", o.numeric, "Table: columns read as numbers")->delimiter(',');
    app.add_option("--ignore", o.ignore, "Table: columns left out")->delimiter(',');
    app.add_option("--embed", o.embed, "Table, tabular model: categorical columns through an Embedding")
        ->delimiter(',');
    app.add_option("--one-hot", o.oneHot, "Table: categorical columns one-hot whatever their size")->delimiter(',');
    app.add_option("--missing", o.missing,
                   "Table: the cells that mean missing (default: empty, NA, NaN, null; give '' for empty)")
        ->delimiter(',');
    app.add_option("--impute", o.impute, "Table: a missing number takes the training set's mean or median")
        ->check(CLI::IsMember({"mean", "median"}))
        ->capture_default_str();
    app.add_option("--embed-threshold", o.embedThreshold,
                   "Table, tabular model: categorical columns with more categories than this use an Embedding")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--max-categories", o.maxCategories,
                   "Table: more distinct values in a categorical column is an error")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--type-errors", o.typeErrors,
                   "Table: a cell that does not fit its column's type is an error or a missing value")
        ->check(CLI::IsMember({"error", "missing"}))
        ->capture_default_str();
    app.add_option("--holdout", o.holdout,
                   "Table without --test-csv: the share of training rows held out as the test set (0: none)")
        ->capture_default_str();
    app.add_option("--cache", o.cache,
                   "Table: a directory for the encoded rows; later runs map them instead of parsing the CSV "
                   "while it is unchanged, and stream batches from the file (block shuffle)");
  } else {
    app.add_option("--data-csv", o.testCsv, "Data set, CSV");
  }
  app.add_option("--test-images", o.testImages, "Test images, IDX (raw or .gz)");
  app.add_option("--test-labels", o.testLabels, "Test labels, IDX (raw or .gz)");
  app.add_option("--label-col", o.labelColumn,
                 "CSV label column: 0-based index or header name (default: 0)");
  app.add_flag("--no-label", o.noLabel, "CSV files have no label column");
  app.add_option("--test-limit", o.testLimit, "Use only the first N test samples");
}

}  // namespace shoal::cli
