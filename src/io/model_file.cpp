// Saving and loading model files with a magic, a format version and a CRC-32.
#include "shoal/io/model_file.hpp"

#include <zlib.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "shoal/error.hpp"
#include "shoal/io/atomic_file.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/nn/model_spec.hpp"

namespace shoal::io {
namespace {

constexpr char kMagic[8] = {'S', 'H', 'O', 'A', 'L', 'M', 'D', 'L'};

template <class T>
void put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

uint32_t crcOf(const char* data, size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (size > 0) {
    uInt chunk = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data), chunk);
    data += chunk;
    size -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

// Reads fixed-size fields from the file's bytes, failing with "truncated" past the end.
class Reader {
 public:
  Reader(const std::string& path, const std::string& bytes) : path_(path), bytes_(bytes) {}
  template <class T>
  T get(const char* what) {
    T value;
    need(sizeof value, what);
    std::memcpy(&value, bytes_.data() + pos_, sizeof value);
    pos_ += sizeof value;
    return value;
  }
  const char* take(uint64_t size, const char* what) {
    need(size, what);
    const char* p = bytes_.data() + pos_;
    pos_ += size;
    return p;
  }
  size_t position() const { return pos_; }

 private:
  void need(uint64_t size, const char* what) {
    if (size > bytes_.size() - pos_)
      throw InputError(path_ + ": truncated model file: " + what + " needs " +
                       std::to_string(size) + " bytes at offset " + std::to_string(pos_) +
                       ", the file has " + std::to_string(bytes_.size() - pos_) + " left");
  }
  const std::string& path_;
  const std::string& bytes_;
  size_t pos_ = 0;
};

}  // namespace

void saveModel(const std::string& path, nn::Sequential& model, const ModelInfo& info) {
  Tensor& values = model.flatParameters().values();
  std::vector<Tensor*> buffers = model.stateBuffers();
  int64_t bufferCount = 0;
  for (Tensor* b : buffers) bufferCount += b->numel();
  nlohmann::json header{{"spec", model.spec()},
                        {"input_shape", info.inputShape.dims()},
                        {"classes", info.classes},
                        {"preprocessing", info.preprocessing.toJson()},
                        {"parameters", values.numel()},
                        {"buffers", bufferCount}};
  std::string headerText = header.dump();
  std::string out(kMagic, sizeof kMagic);
  put(out, kModelFormatVersion);
  put(out, static_cast<uint64_t>(headerText.size()));
  out += headerText;
  out.append(reinterpret_cast<const char*>(values.data()), values.numel() * sizeof(float));
  for (Tensor* b : buffers)
    out.append(reinterpret_cast<const char*>(b->data()), b->numel() * sizeof(float));
  put(out, crcOf(out.data(), out.size()));
  writeFileAtomically(path, out);
}

LoadedModel loadModel(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open the model file");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Reader r(path, bytes);
  if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    throw InputError(path + ": not a shoal model file (expected the magic \"SHOALMDL\" at offset 0)");
  r.take(sizeof kMagic, "the magic");
  auto version = r.get<uint32_t>("the format version");
  if (version > kModelFormatVersion || version == 0)
    throw InputError(path + ": model format version " + std::to_string(version) +
                     " is not supported (this shoal reads version " +
                     std::to_string(kModelFormatVersion) + "; a newer shoal wrote it?)");
  auto headerBytes = r.get<uint64_t>("the header length");
  const char* headerText = r.take(headerBytes, "the header");
  if (bytes.size() < sizeof(uint32_t) + r.position())
    throw InputError(path + ": truncated model file: no checksum");
  uint32_t stored;
  std::memcpy(&stored, bytes.data() + bytes.size() - sizeof stored, sizeof stored);
  if (crcOf(bytes.data(), bytes.size() - sizeof stored) != stored)
    throw InputError(path + ": corrupt model file (checksum mismatch: the file was truncated or altered)");

  nlohmann::json header;
  LoadedModel loaded;
  try {
    header = nlohmann::json::parse(headerText, headerText + headerBytes);
    loaded.info.inputShape = Shape(header.at("input_shape").get<std::vector<int64_t>>());
    loaded.info.classes = header.at("classes").get<int64_t>();
    loaded.info.preprocessing = data::Preprocessing::fromJson(header.at("preprocessing"));
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path + ": corrupt model header: " + e.what());
  }
  loaded.model = nn::buildModel(header.at("spec"), loaded.info.inputShape, path);
  Tensor& values = loaded.model->flatParameters().values();
  std::vector<Tensor*> buffers = loaded.model->stateBuffers();
  int64_t bufferCount = 0;
  for (Tensor* b : buffers) bufferCount += b->numel();
  if (header.value("parameters", -1) != values.numel() || header.value("buffers", -1) != bufferCount)
    throw InputError(path + ": corrupt model file: the header's parameter counts do not match its layers");
  const char* weights = r.take(values.numel() * sizeof(float), "the parameters");
  std::memcpy(values.data(), weights, values.numel() * sizeof(float));
  for (Tensor* b : buffers)
    std::memcpy(b->data(), r.take(b->numel() * sizeof(float), "the state buffers"),
                b->numel() * sizeof(float));
  if (r.position() + sizeof(uint32_t) != bytes.size())
    throw InputError(path + ": corrupt model file: " +
                     std::to_string(bytes.size() - r.position() - sizeof(uint32_t)) +
                     " unexpected bytes before the checksum");
  loaded.model->evaluate();
  return loaded;
}

}  // namespace shoal::io
