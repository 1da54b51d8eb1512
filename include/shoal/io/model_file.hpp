// Model files: one binary file holding the layer specification, preprocessing and weights.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "shoal/data/preprocessing.hpp"
#include "shoal/data/table_schema.hpp"
#include "shoal/nn/module.hpp"

namespace shoal::io {

// A binary container (binary_container.hpp) with the magic "SHOALMDL", version
// kModelFormatVersion, the header {"spec", "input_shape", "classes", "preprocessing",
// "parameter_names": [[name, count], ...]} and the blocks "parameters" (the flat parameter buffer,
// in the order of parameter_names) and "buffer.<name>" (the state buffers, such as
// "1.running_mean"), and "table" (data::TableSchema's JSON) for a model trained on a typed table
// (files without it load as before). Parameters load by name ("3.weight", "block1.conv1.weight"). Version 1 files
// (no names; "buffer.<i>" in model order) still load into the model their spec builds.
inline constexpr uint32_t kModelFormatVersion = 2;

struct ModelInfo {
  Shape inputShape;  // per-sample
  int64_t classes = 0;
  data::Preprocessing preprocessing;
  // The encoding of a typed table's rows (types, imputation, vocabularies, class names) that the
  // model's input expects; none for images and numeric CSVs.
  std::optional<data::TableSchema> table;
};

// {"input_shape", "classes", "preprocessing"} (and "table" when there is one): how model files and checkpoints store ModelInfo.
nlohmann::json modelInfoToJson(const ModelInfo& info);
// Throws InputError starting with `source` when a field is missing or malformed.
ModelInfo modelInfoFromJson(const nlohmann::json& j, const std::string& source);

struct LoadedModel {
  std::unique_ptr<nn::Module> model;
  ModelInfo info;
};

// Writes atomically; throws OutputError when it cannot.
void saveModel(const std::string& path, nn::Module& model, const ModelInfo& info);
// Throws InputError naming the file for a missing, truncated, corrupt, foreign or newer file.
LoadedModel loadModel(const std::string& path);

}  // namespace shoal::io
