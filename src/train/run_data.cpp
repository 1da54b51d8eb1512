// Turning a DataConfig into data sets: the Fashion-MNIST shorthand, IDX files or CSV files.
#include "shoal/train/run_data.hpp"

#include <algorithm>

#include "shoal/data/csv_reader.hpp"
#include "shoal/data/fashion_mnist.hpp"
#include "shoal/data/idx_reader.hpp"
#include "shoal/error.hpp"

namespace shoal::train {
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

data::Dataset readCsvSet(const std::string& path, const DataConfig& o, int numClasses,
                         bool ignoreLabel) {
  data::CsvOptions c;
  c.labelColumn = o.labelColumn;
  c.hasLabel = !o.noLabel;
  c.ignoreLabel = ignoreLabel && !o.noLabel;
  c.numClasses = numClasses;
  return data::readCsv(path, c);
}

void readIdxSets(const DataConfig& o, DataUse use, int classes, RunData& d) {
  const bool training = use == DataUse::Training, ignoreLabel = use == DataUse::Prediction;
  if (training) {
    if (o.trainImages.empty() || o.trainLabels.empty())
      throw ConfigError("data.train_images", "\"data.train_images\" needs \"data.train_labels\" (and the other way round)");
    d.train = limited(data::readIdx(o.trainImages, o.trainLabels, classes), o.trainLimit);
  }
  if (!o.testImages.empty()) {
    if (o.testLabels.empty() && !ignoreLabel)
      throw ConfigError("data.test_images", "\"data.test_images\" needs \"data.test_labels\"");
    d.test = limited(o.testLabels.empty() || ignoreLabel
                         ? readUnlabelledIdx(o.testImages, classes)
                         : data::readIdx(o.testImages, o.testLabels, classes),
                     o.testLimit);
  } else if (!training) {
    throw ConfigError("data.test_images", "give \"data.test_images\"");
  }
  d.description = "IDX files";
}

void readCsvSets(const DataConfig& o, DataUse use, int numClasses, RunData& d) {
  if (use == DataUse::Training) {
    if (o.trainCsv.empty()) throw ConfigError("data.test_csv", "\"data.test_csv\" needs \"data.train_csv\"");
    d.train = limited(readCsvSet(o.trainCsv, o, numClasses, false), o.trainLimit);
    if (!o.testCsv.empty()) d.test = limited(readCsvSet(o.testCsv, o, numClasses, false), o.testLimit);
  } else {
    if (o.testCsv.empty()) throw ConfigError("data.test_csv", "give \"data.test_csv\"");
    d.test = limited(readCsvSet(o.testCsv, o, numClasses, use == DataUse::Prediction), o.testLimit);
  }
  d.description = "CSV files";
}

}  // namespace

RunData loadRunData(const DataConfig& o, DataUse use, int numClasses) {
  const bool training = use == DataUse::Training;
  RunData d;
  int sources = !o.named.empty() + (!o.trainImages.empty() || !o.testImages.empty()) +
                (!o.trainCsv.empty() || !o.testCsv.empty());
  if (sources == 0)
    throw ConfigError("data", training ? "no training data: give \"data.named\" fashion-mnist, "
                                         "\"data.train_images\" and \"data.train_labels\", or \"data.train_csv\""
                                       : "no data: give \"data.named\" fashion-mnist, \"data.test_images\" "
                                         "(and \"data.test_labels\"), or \"data.test_csv\"");
  if (sources > 1) throw ConfigError("data", "give one kind of data: \"data.named\", IDX files or CSV files");
  if (!o.named.empty() && o.named != "fashion-mnist")
    throw ConfigError("data.named", "\"data.named\": expected fashion-mnist, got '" + o.named + "'");

  int classes = numClasses > 0 ? numClasses : 10;
  if (!o.named.empty()) {
    data::TrainTest sets = data::loadFashionMnist();
    if (training) d.train = limited(std::move(sets.train), o.trainLimit);
    d.test = limited(std::move(sets.test), o.testLimit);
    d.description = "Fashion-MNIST";
  } else if (!o.trainImages.empty() || !o.testImages.empty()) {
    readIdxSets(o, use, classes, d);
  } else {
    readCsvSets(o, use, numClasses, d);
  }
  if (d.train) d.numClasses = d.train->numClasses();
  if (d.test) d.numClasses = std::max(d.numClasses, d.test->numClasses());
  if (training && d.train && d.test && !(d.train->sampleShape() == d.test->sampleShape()))
    throw UsageError("the training samples have shape " + d.train->sampleShape().str() +
                     " but the test samples have shape " + d.test->sampleShape().str());
  return d;
}

data::Preprocessing fitPreprocessing(const DataConfig& config, const data::Dataset& train) {
  if (config.preprocessing == "scale")
    return data::Preprocessing::minMax(train.rawFeatures(), train.sampleShape().numel());
  if (config.preprocessing == "standardize")
    return data::Preprocessing::standardize(train.rawFeatures(), train.sampleShape().numel());
  return train.preprocessing();
}

}  // namespace shoal::train
