// Data flags shared by train, eval and predict, and loading the data sets they name.
#pragma once
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "shoal/data/dataset.hpp"

namespace shoal::cli {

struct DataOptions {
  std::string data;  // "fashion-mnist"
  std::string trainImages, trainLabels, testImages, testLabels;
  std::string trainCsv, testCsv, dataCsv;
  std::string labelCol = "0";
  bool noLabel = false;
  bool scale = false, standardize = false;
  int64_t trainLimit = 0, testLimit = 0;
};

// Adds the data flags; `training` adds the train-set and CSV-preprocessing flags.
void addDataOptions(CLI::App& app, DataOptions& o, bool training);

struct LoadedData {
  std::optional<data::Dataset> train;
  std::optional<data::Dataset> test;  // eval/predict: the data set to run on
  int numClasses = 0;                 // max over the sets read
  std::string description;            // "Fashion-MNIST (60000 train, 10000 test)"
};

// Reads the sets the flags name. `numClasses` > 0 bounds the labels (eval/predict with a model).
// `ignoreLabel` reads CSV label columns but drops them (predict).
LoadedData loadData(const DataOptions& o, bool training, int numClasses, bool ignoreLabel);

}  // namespace shoal::cli
