// Model files: one binary file holding the layer specification, preprocessing and weights.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "shoal/data/preprocessing.hpp"
#include "shoal/nn/sequential.hpp"

namespace shoal::io {

// A binary container (binary_container.hpp) with the magic "SHOALMDL", version
// kModelFormatVersion, the header {"spec", "input_shape", "classes", "preprocessing"} and the
// blocks "parameters" (the flat parameter buffer) and "buffer.<i>" (the state buffers, such as
// running statistics, in model order).
inline constexpr uint32_t kModelFormatVersion = 1;

struct ModelInfo {
  Shape inputShape;  // per-sample
  int64_t classes = 0;
  data::Preprocessing preprocessing;
};

// {"input_shape", "classes", "preprocessing"}: how model files and checkpoints store ModelInfo.
nlohmann::json modelInfoToJson(const ModelInfo& info);
// Throws InputError starting with `source` when a field is missing or malformed.
ModelInfo modelInfoFromJson(const nlohmann::json& j, const std::string& source);

struct LoadedModel {
  std::unique_ptr<nn::Sequential> model;
  ModelInfo info;
};

// Writes atomically; throws OutputError when it cannot.
void saveModel(const std::string& path, nn::Sequential& model, const ModelInfo& info);
// Throws InputError naming the file for a missing, truncated, corrupt, foreign or newer file.
LoadedModel loadModel(const std::string& path);

}  // namespace shoal::io
