// Saving and loading model files: the layer specification, preprocessing and named weights in a binary container.
#include "shoal/io/model_file.hpp"

#include <map>

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
  nlohmann::json j{{"input_shape", info.inputShape.dims()},
                   {"classes", info.classes},
                   {"preprocessing", info.preprocessing.toJson()}};
  if (info.table) j["table"] = info.table->toJson();
  return j;
}

ModelInfo modelInfoFromJson(const nlohmann::json& j, const std::string& source) {
  ModelInfo info;
  try {
    info.inputShape = Shape(j.at("input_shape").get<std::vector<int64_t>>());
    info.classes = j.at("classes").get<int64_t>();
    info.preprocessing = data::Preprocessing::fromJson(j.at("preprocessing"));
    if (j.contains("table")) {
      info.table = data::TableSchema::fromJson(j.at("table"), "header");
      if (info.table->width() != info.inputShape.numel() || info.table->classes != info.classes)
        throw InputError("the table schema encodes " + std::to_string(info.table->width()) + " values and " +
                         std::to_string(info.table->classes) + " classes, the model takes " +
                         info.inputShape.str() + " and " + std::to_string(info.classes));
    }
  } catch (const nlohmann::json::exception& e) {
    throw InputError(source + ": " + e.what());
  } catch (const Error& e) {
    throw InputError(source + ": " + e.what());
  }
  return info;
}

void saveModel(const std::string& path, nn::Module& model, const ModelInfo& info) {
  Container c;
  c.header = modelInfoToJson(info);
  c.header["spec"] = model.spec();
  nlohmann::json names = nlohmann::json::array();
  for (const nn::Parameter& p : model.parameters()) names.push_back({p.name, p.value->numel()});
  c.header["parameter_names"] = names;
  c.blocks.emplace_back("parameters", model.flatParameters().values());
  for (nn::NamedBuffer& b : model.stateBuffers()) c.blocks.emplace_back("buffer." + b.name, *b.value);
  writeFileAtomically(path, encodeContainer(kMagic, kModelFormatVersion, c));
}

namespace {

// Version 2: every parameter from its named slice of the stored flat buffer, every state buffer
// from its named block, so that a file survives a change of container with the same names.
void loadNamed(const Container& c, nn::Module& model, const std::string& path) {
  const nlohmann::json& names = c.header.at("parameter_names");
  if (!names.is_array()) throw InputError(path + ": corrupt model header: \"parameter_names\" is not a list");
  std::map<std::string, std::pair<int64_t, int64_t>> stored;  // name -> (offset, count)
  int64_t offset = 0;
  for (const auto& n : names) {
    if (!n.is_array() || n.size() != 2 || !n[0].is_string() || !n[1].is_number_integer() || n[1].get<int64_t>() < 0)
      throw InputError(path + ": corrupt model header: a parameter name entry is " + n.dump());
    stored[n[0].get<std::string>()] = {offset, n[1].get<int64_t>()};
    offset += n[1].get<int64_t>();
  }
  const Tensor& flat = block(c, "parameters", offset, path);
  for (const nn::Parameter& p : model.parameters()) {
    auto it = stored.find(p.name);
    if (it == stored.end())
      throw InputError(path + ": the file has no parameter \"" + p.name + "\" that the model needs");
    if (it->second.second != p.value->numel())
      throw InputError(path + ": the parameter \"" + p.name + "\" holds " + std::to_string(it->second.second) +
                       " values but the model's has " + std::to_string(p.value->numel()));
    p.value->copyFrom(flat.flatSlice(it->second.first, it->second.second));
  }
  for (nn::NamedBuffer& b : model.stateBuffers())
    b.value->copyFrom(block(c, "buffer." + b.name, b.value->numel(), path));
}

// Version 1 (shoal 0.1 before named parameters): the flat buffer and the buffers in model order,
// which a Sequential of the same spec still has.
void loadInOrder(const Container& c, nn::Module& model, const std::string& path) {
  Tensor& values = model.flatParameters().values();
  std::vector<nn::NamedBuffer> buffers = model.stateBuffers();
  if (c.blocks.size() != buffers.size() + 1)
    throw InputError(path + ": corrupt model file: " + std::to_string(c.blocks.size()) +
                     " blocks, but the layers need the parameters and " + std::to_string(buffers.size()) +
                     " state buffers");
  values.copyFrom(block(c, "parameters", values.numel(), path));
  for (size_t i = 0; i < buffers.size(); ++i)
    buffers[i].value->copyFrom(block(c, "buffer." + std::to_string(i), buffers[i].value->numel(), path));
}

}  // namespace

LoadedModel loadModel(const std::string& path) {
  Container c = decodeContainer(path, readFileBytes(path, kKind), kMagic, kModelFormatVersion, kKind);
  LoadedModel loaded;
  loaded.info = modelInfoFromJson(c.header, path + ": corrupt model header");
  if (!c.header.contains("spec")) throw InputError(path + ": corrupt model header: no \"spec\"");
  loaded.model = nn::buildModel(c.header.at("spec"), loaded.info.inputShape, path);
  if (c.header.contains("parameter_names"))
    loadNamed(c, *loaded.model, path);
  else
    loadInOrder(c, *loaded.model, path);
  loaded.model->evaluate();
  return loaded;
}

}  // namespace shoal::io
