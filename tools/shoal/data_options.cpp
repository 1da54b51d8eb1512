// Turning the data flags into data sets: the Fashion-MNIST shorthand, IDX files or CSV files.
#include "data_options.hpp"

#include <algorithm>

#include "shoal/data/csv_reader.hpp"
#include "shoal/data/fashion_mnist.hpp"
#include "shoal/data/idx_reader.hpp"
#include "shoal/error.hpp"

namespace shoal::cli {
namespace {

data::Dataset limited(data::Dataset d, int64_t limit) {
  return limit > 0 && limit < d.size() ? d.head(limit) : d;
}

data::Dataset readUnlabelledIdx(const std::string& path, int numClasses) {
  Shape sampleShape;
  std::vector<uint8_t> pixels = data::readIdxImages(path, sampleShape);
  data::Dataset d = data::Dataset::fromBytes(sampleShape, std::move(pixels), {}, numClasses);
  d.setPreprocessing(data::Preprocessing::pixelScale());
  return d;
}

data::Dataset readCsvSet(const std::string& path, const DataOptions& o, int numClasses,
                         bool ignoreLabel) {
  data::CsvOptions c;
  c.labelColumn = o.labelCol;
  c.hasLabel = !o.noLabel;
  c.ignoreLabel = ignoreLabel && !o.noLabel;
  c.numClasses = numClasses;
  return data::readCsv(path, c);
}

}  // namespace

void addDataOptions(CLI::App& app, DataOptions& o, bool training) {
  app.add_option("--data", o.data, "Named data set: fashion-mnist (Debian's dataset-fashion-mnist)")
      ->check(CLI::IsMember({"fashion-mnist"}));
  if (training) {
    app.add_option("--train-images", o.trainImages, "Training images, IDX (raw or .gz)");
    app.add_option("--train-labels", o.trainLabels, "Training labels, IDX (raw or .gz)");
    app.add_option("--train-csv", o.trainCsv, "Training set, CSV (label column + numeric features)");
    app.add_option("--test-csv", o.testCsv, "Test set, CSV, evaluated after training");
    app.add_flag("--scale", o.scale, "CSV: map each feature's training-set [min, max] to [0, 1]");
    app.add_flag("--standardize", o.standardize,
                 "CSV: subtract each feature's training-set mean, divide by its standard deviation");
    app.add_option("--train-limit", o.trainLimit, "Use only the first N training samples");
  } else {
    app.add_option("--data-csv", o.dataCsv, "Data set, CSV");
  }
  app.add_option("--test-images", o.testImages, "Test images, IDX (raw or .gz)");
  app.add_option("--test-labels", o.testLabels, "Test labels, IDX (raw or .gz)");
  app.add_option("--label-col", o.labelCol,
                 "CSV label column: 0-based index or header name (default: 0)");
  app.add_flag("--no-label", o.noLabel, "CSV files have no label column");
  app.add_option("--test-limit", o.testLimit, "Use only the first N test samples");
}

LoadedData loadData(const DataOptions& o, bool training, int numClasses, bool ignoreLabel) {
  LoadedData d;
  int sources = !o.data.empty() + (!o.trainImages.empty() || !o.testImages.empty()) +
                (!o.trainCsv.empty() || !o.testCsv.empty() || !o.dataCsv.empty());
  if (sources == 0)
    throw UsageError(training ? "no training data: give --data fashion-mnist, --train-images and "
                                "--train-labels, or --train-csv"
                              : "no data: give --data fashion-mnist, --test-images (and "
                                "--test-labels), or --data-csv");
  if (sources > 1) throw UsageError("give one kind of data: --data, IDX files or CSV files");
  if ((o.scale || o.standardize) && o.trainCsv.empty())
    throw UsageError("--scale and --standardize apply to CSV training data (--train-csv)");
  if (o.scale && o.standardize) throw UsageError("give either --scale or --standardize, not both");

  int classes = numClasses > 0 ? numClasses : 10;
  if (!o.data.empty()) {
    data::TrainTest sets = data::loadFashionMnist();
    if (training) d.train = limited(std::move(sets.train), o.trainLimit);
    d.test = limited(std::move(sets.test), o.testLimit);
    d.description = "Fashion-MNIST";
  } else if (!o.trainImages.empty() || !o.testImages.empty()) {
    if (training) {
      if (o.trainImages.empty() || o.trainLabels.empty())
        throw UsageError("--train-images needs --train-labels (and the other way round)");
      d.train = limited(data::readIdx(o.trainImages, o.trainLabels, classes), o.trainLimit);
    }
    if (!o.testImages.empty()) {
      if (o.testLabels.empty() && !ignoreLabel)
        throw UsageError("--test-images needs --test-labels");
      d.test = limited(o.testLabels.empty() || ignoreLabel
                           ? readUnlabelledIdx(o.testImages, classes)
                           : data::readIdx(o.testImages, o.testLabels, classes),
                       o.testLimit);
    } else if (!training) {
      throw UsageError("give --test-images");
    }
    d.description = "IDX files";
  } else {
    if (training) {
      if (o.trainCsv.empty()) throw UsageError("--test-csv needs --train-csv");
      d.train = limited(readCsvSet(o.trainCsv, o, numClasses, false), o.trainLimit);
      if (!o.testCsv.empty()) d.test = limited(readCsvSet(o.testCsv, o, numClasses, false), o.testLimit);
    } else {
      if (o.dataCsv.empty()) throw UsageError("give --data-csv");
      d.test = limited(readCsvSet(o.dataCsv, o, numClasses, ignoreLabel), o.testLimit);
    }
    d.description = "CSV files";
  }
  if (d.train) d.numClasses = d.train->numClasses();
  if (d.test) d.numClasses = std::max(d.numClasses, d.test->numClasses());
  if (training && d.train && d.test && !(d.train->sampleShape() == d.test->sampleShape()))
    throw UsageError("the training samples have shape " + d.train->sampleShape().str() +
                     " but the test samples have shape " + d.test->sampleShape().str());
  return d;
}

}  // namespace shoal::cli
