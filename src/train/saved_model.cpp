// Evaluating a saved model and predicting class probabilities with it, on data fitted to its input.
#include "shoal/train/saved_model.hpp"

#include "shoal/backend/backend.hpp"
#include "shoal/error.hpp"
#include "shoal/train/model_setup.hpp"
#include "shoal/train/predict.hpp"
#include "shoal/train/run_table.hpp"

namespace shoal::train {

ModelOnData loadModelOnData(const std::string& modelFile, const DataConfig& data, DataUse use) {
  io::LoadedModel loaded = io::loadModel(modelFile);
  if (use == DataUse::Evaluation && data.noLabel)
    throw ConfigError("data.no_label", "evaluation needs labels (drop \"data.no_label\", or predict)");
  if (loaded.info.table) {
    if (data.testCsv.empty()) throw ConfigError("data.test_csv", "the model reads CSV tables: give \"data.test_csv\"");
    data::Dataset rows = readTableWithSchema(data.testCsv, *loaded.info.table, use == DataUse::Evaluation, data.testLimit);
    fitDataToModel(rows, loaded.info, "the data");
    return {std::move(loaded), std::move(rows)};
  }
  RunData sets = loadRunData(data, use, static_cast<int>(loaded.info.classes));
  fitDataToModel(*sets.test, loaded.info, "the data");
  return {std::move(loaded), std::move(*sets.test)};
}

std::vector<ValidationResult> evaluateModel(nn::Module& model, const data::Dataset& data, int64_t batchSize,
                                            const std::vector<ValidationMethod>& methods) {
  auto criterion = criterionFor("auto", model);
  return evaluate(model, data, methods, *criterion, batchSize);
}

Tensor predictProbabilities(nn::Module& model, const data::Dataset& data, int64_t batchSize) {
  Tensor output = predict(model, data, batchSize);
  if (outputLayerType(model) == "SoftMax" || output.numel() == 0) return output;
  Tensor probabilities(output.shape());
  backend::current().makeSoftmax(/*log=*/false)->forward(output, probabilities);
  return probabilities;
}

std::string setModelPrecision(nn::Module& model, const std::string& precision) {
  std::string note;
  nn::Precision resolved;
  try {
    resolved = nn::resolvePrecision(precision, &note);
  } catch (const UsageError& e) {
    throw ConfigError("precision", e.what());
  }
  model.setPrecision(resolved);
  return note;
}

}  // namespace shoal::train
