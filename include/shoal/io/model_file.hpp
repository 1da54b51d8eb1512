// Model files: one binary file holding the layer specification, preprocessing and weights.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "shoal/data/preprocessing.hpp"
#include "shoal/nn/sequential.hpp"

namespace shoal::io {

// Layout (little-endian):
//   "SHOALMDL"        8-byte magic
//   u32 version       kModelFormatVersion
//   u64 headerBytes   then that many bytes of JSON: {"spec", "input_shape", "classes",
//                     "preprocessing", "parameters": count, "buffers": count}
//   f32 x parameters  the flat parameter buffer
//   f32 x buffers     the state buffers (running statistics), in model order
//   u32 crc32         of every byte before it
inline constexpr uint32_t kModelFormatVersion = 1;

struct ModelInfo {
  Shape inputShape;  // per-sample
  int64_t classes = 0;
  data::Preprocessing preprocessing;
};

struct LoadedModel {
  std::unique_ptr<nn::Sequential> model;
  ModelInfo info;
};

// Writes atomically; throws OutputError when it cannot.
void saveModel(const std::string& path, nn::Sequential& model, const ModelInfo& info);
// Throws InputError naming the file for a missing, truncated, corrupt, foreign or newer file.
LoadedModel loadModel(const std::string& path);

}  // namespace shoal::io
