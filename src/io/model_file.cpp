// Saving and loading model files: the layer specification, preprocessing and weights in a binary container.
#include "shoal/io/model_file.hpp"

#include "shoal/error.hpp"
#include "shoal/io/atomic_file.hpp"
#include "shoal/io/binary_container.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/nn/model_spec.hpp"

namespace shoal::io {
namespace {

constexpr char kMagic[8] = {'S', 'H', 'O', 'A', 'L', 'M', 'D', 'L'};
const std::string kKind = "model file";

// The block `name` of `c`, which must hold `numel` values.
const Tensor& block(const Container& c, const std::string& name, int64_t numel, const std::string& path) {
  const Tensor* t = c.find(name);
  if (!t) throw InputError(path + ": corrupt model file: the block \"" + name + "\" is missing");
  if (t->numel() != numel)
    throw InputError(path + ": corrupt model file: the block \"" + name + "\" holds " + std::to_string(t->numel()) +
                     " values but the layers need " + std::to_string(numel));
  return *t;
}

}  // namespace

nlohmann::json modelInfoToJson(const ModelInfo& info) {
  return {{"input_shape", info.inputShape.dims()},
          {"classes", info.classes},
          {"preprocessing", info.preprocessing.toJson()}};
}

ModelInfo modelInfoFromJson(const nlohmann::json& j, const std::string& source) {
  ModelInfo info;
  try {
    info.inputShape = Shape(j.at("input_shape").get<std::vector<int64_t>>());
    info.classes = j.at("classes").get<int64_t>();
    info.preprocessing = data::Preprocessing::fromJson(j.at("preprocessing"));
  } catch (const nlohmann::json::exception& e) {
    throw InputError(source + ": " + e.what());
  } catch (const Error& e) {
    throw InputError(source + ": " + e.what());
  }
  return info;
}

void saveModel(const std::string& path, nn::Sequential& model, const ModelInfo& info) {
  Container c;
  c.header = modelInfoToJson(info);
  c.header["spec"] = model.spec();
  c.blocks.emplace_back("parameters", model.flatParameters().values());
  std::vector<Tensor*> buffers = model.stateBuffers();
  for (size_t i = 0; i < buffers.size(); ++i) c.blocks.emplace_back("buffer." + std::to_string(i), *buffers[i]);
  writeFileAtomically(path, encodeContainer(kMagic, kModelFormatVersion, c));
}

LoadedModel loadModel(const std::string& path) {
  Container c = decodeContainer(path, readFileBytes(path, kKind), kMagic, kModelFormatVersion, kKind);
  LoadedModel loaded;
  loaded.info = modelInfoFromJson(c.header, path + ": corrupt model header");
  if (!c.header.contains("spec")) throw InputError(path + ": corrupt model header: no \"spec\"");
  loaded.model = nn::buildModel(c.header.at("spec"), loaded.info.inputShape, path);
  Tensor& values = loaded.model->flatParameters().values();
  std::vector<Tensor*> buffers = loaded.model->stateBuffers();
  if (c.blocks.size() != buffers.size() + 1)
    throw InputError(path + ": corrupt model file: " + std::to_string(c.blocks.size()) +
                     " blocks, but the layers need the parameters and " + std::to_string(buffers.size()) +
                     " state buffers");
  values.copyFrom(block(c, "parameters", values.numel(), path));
  for (size_t i = 0; i < buffers.size(); ++i)
    buffers[i]->copyFrom(block(c, "buffer." + std::to_string(i), buffers[i]->numel(), path));
  loaded.model->evaluate();
  return loaded;
}

}  // namespace shoal::io
