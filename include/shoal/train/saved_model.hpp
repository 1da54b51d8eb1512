// Using a saved model on data: loading both fitted together, evaluating, predicting class probabilities.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "shoal/data/dataset.hpp"
#include "shoal/io/model_file.hpp"
#include "shoal/train/run_data.hpp"
#include "shoal/train/validation.hpp"

namespace shoal::train {

struct ModelOnData {
  io::LoadedModel model;
  data::Dataset data;
};

// Loads `modelFile` and the data set `data` names (its test set, or its CSV file in
// "data.test_csv"), fitted to the model's input and preprocessing. Evaluation needs labels.
ModelOnData loadModelOnData(const std::string& modelFile, const DataConfig& data, DataUse use);

// Resolves `precision` ("fp32", "bf16" or "auto", nn::resolvePrecision) and sets the model to it
// for inference; returns the note to show (auto chose fp32, or bf16 is emulated), else "".
// ConfigError naming "precision" when it cannot run here.
std::string setModelPrecision(nn::Module& model, const std::string& precision);

// `methods` (default Top1Accuracy, Top5Accuracy and Loss: the model's own criterion, ClassNLL
// after LogSoftMax, CrossEntropy on raw scores) over `data`.
std::vector<ValidationResult> evaluateModel(nn::Module& model, const data::Dataset& data, int64_t batchSize,
                                            const std::vector<ValidationMethod>& methods = {
                                                Top1Accuracy(), Top5Accuracy(), Loss()});

// Class probabilities [size, classes] for every sample: the model's output when it ends in
// SoftMax, else the softmax of its scores (or of its log-probabilities).
Tensor predictProbabilities(nn::Module& model, const data::Dataset& data, int64_t batchSize);

}  // namespace shoal::train
