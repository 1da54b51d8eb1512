// Reading the data sets a DataConfig names (Fashion-MNIST, IDX or CSV files) and fitting their preprocessing.
#pragma once
#include <optional>
#include <string>

#include "shoal/data/dataset.hpp"
#include "shoal/train/run_config.hpp"

namespace shoal::train {

// What the data sets are read for: training reads the training set (and the test set when
// named); evaluation and prediction read the test set only, prediction without its labels.
enum class DataUse { Training, Evaluation, Prediction };

struct RunData {
  std::optional<data::Dataset> train;
  std::optional<data::Dataset> test;  // evaluation/prediction: the data set to run on
  // Held out of the training set ("validation.split") and validated on instead of the test set.
  std::optional<data::Dataset> validation;
  int numClasses = 0;                 // max over the sets read
  std::string description;            // "Fashion-MNIST", "IDX files", "CSV files"
};

// Reads the sets `config` names. `numClasses` > 0 bounds the labels (a model's classes).
// ConfigError when no source or more than one kind is named, or a file is missing its pair.
RunData loadRunData(const DataConfig& config, DataUse use, int numClasses = 0);

// The training set's own preprocessing (pixel scaling for images), or the one fitted to its raw
// features for "data.preprocessing" scale or standardize.
data::Preprocessing fitPreprocessing(const DataConfig& config, const data::Dataset& train);

}  // namespace shoal::train
