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
