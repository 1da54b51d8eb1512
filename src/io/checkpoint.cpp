// Checkpoint files: capture, atomic write with pruning, checked read, fallback to older files, restore.
#include "shoal/io/checkpoint.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>
#include <utility>

#include "shoal/error.hpp"
#include "shoal/io/atomic_file.hpp"
#include "shoal/io/binary_container.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/nn/model_spec.hpp"
#include "shoal/nn/random.hpp"

namespace shoal::io {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'S', 'H', 'O', 'A', 'L', 'C', 'K', 'P'};
const std::string kKind = "checkpoint";
const std::string kPrefix = "checkpoint-";
const std::string kSuffix = ".shoalckpt";

// The iteration of a file named checkpoint-<at least 10 digits>.shoalckpt, or nothing.
std::optional<int64_t> iterationOf(const std::string& name) {
  if (name.size() < kPrefix.size() + 10 + kSuffix.size() || !name.starts_with(kPrefix) || !name.ends_with(kSuffix))
    return std::nullopt;
  const char* first = name.data() + kPrefix.size();
  const char* last = name.data() + name.size() - kSuffix.size();
  if (!std::all_of(first, last, [](char ch) { return ch >= '0' && ch <= '9'; })) return std::nullopt;
  int64_t iteration = 0;
  auto [end, ec] = std::from_chars(first, last, iteration);
  if (ec != std::errc() || end != last) return std::nullopt;
  return iteration;
}

// Checkpoint files of `dir` with their iterations, newest first.
std::vector<std::pair<int64_t, std::string>> scan(const std::string& dir) {
  std::vector<std::pair<int64_t, std::string>> found;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return found;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code typeError;
    if (!it->is_regular_file(typeError)) continue;
    if (auto iteration = iterationOf(it->path().filename().string())) found.emplace_back(*iteration, it->path().string());
  }
  if (ec) throw InputError(dir + ": cannot list the checkpoint directory: " + ec.message());
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second > b.second;
  });
  return found;
}

void removeFile(const std::string& path) {
  std::error_code ec;
  if (!fs::remove(path, ec) && ec) throw OutputError(path + ": cannot delete an old checkpoint: " + ec.message());
}

// Deletes checkpoints beyond the newest `keep`, those newer than the one just written (a run
// that resumed from an older checkpoint abandoned them) and temporary files of interrupted writes.
void prune(const std::string& dir, int64_t written, int keep) {
  int kept = 0;
  for (const auto& [iteration, path] : scan(dir)) {
    if (iteration <= written && kept < keep)
      ++kept;
    else
      removeFile(path);
  }
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.ends_with(".tmp") && iterationOf(name.substr(0, name.size() - 4))) removeFile(it->path().string());
  }
}

std::string serialise(const nn::Generator& g) {
  std::ostringstream out;
  out << g;
  return out.str();
}

// The block `name` of a checkpoint being read; InputError when absent.
const Tensor& block(const Container& box, const std::string& name, const std::string& path) {
  const Tensor* t = box.find(name);
  if (!t) throw InputError(path + ": corrupt checkpoint: the block \"" + name + "\" is missing");
  return *t;
}

void requireDefined(const Tensor& t, const std::string& what) {
  if (!t.defined()) throw UsageError("writeCheckpoint: " + what + " is an empty tensor");
}

}  // namespace

Checkpoint captureModel(nn::Module& model, const ModelInfo& info) {
  Checkpoint c;
  c.modelSpec = model.spec();
  c.info = info;
  c.parameters = model.flatParameters().values().clone();
  for (nn::NamedBuffer& b : model.stateBuffers()) c.buffers.push_back(b.value->clone());
  c.generators.push_back(serialise(nn::initGenerator()));
  for (nn::Generator* g : model.generators()) c.generators.push_back(serialise(*g));
  c.trainer = nlohmann::json::object();
  return c;
}

std::string writeCheckpoint(const std::string& dir, int64_t iteration, const Checkpoint& c, int keep) {
  if (iteration < 0) throw UsageError("writeCheckpoint: negative iteration " + std::to_string(iteration));
  if (keep < 1) throw UsageError("writeCheckpoint: keep must be at least 1, got " + std::to_string(keep));
  Container box;
  nlohmann::json optimNames = nlohmann::json::array(), trainerNames = nlohmann::json::array(),
                 exchangeNames = nlohmann::json::array();
  for (const auto& [name, t] : c.optim.tensors) optimNames.push_back(name);
  for (const auto& [name, t] : c.trainerTensors) trainerNames.push_back(name);
  for (const auto& [name, t] : c.exchangeTensors) exchangeNames.push_back(name);
  box.header = {{"spec", c.modelSpec},
                {"info", modelInfoToJson(c.info)},
                {"generators", c.generators},
                {"buffers", c.buffers.size()},
                {"optim", {{"scalars", c.optim.scalars}, {"tensors", optimNames}}},
                {"trainer", c.trainer},
                {"trainer_tensors", trainerNames}};
  if (!c.exchange.is_null()) {
    box.header["exchange"] = c.exchange;
    box.header["exchange_tensors"] = exchangeNames;
  }
  requireDefined(c.parameters, "the parameters");
  box.blocks.emplace_back("parameters", c.parameters);
  for (size_t i = 0; i < c.buffers.size(); ++i) {
    requireDefined(c.buffers[i], "state buffer " + std::to_string(i));
    box.blocks.emplace_back("buffer." + std::to_string(i), c.buffers[i]);
  }
  for (const auto& [name, t] : c.optim.tensors) {
    requireDefined(t, "optimiser tensor " + name);
    box.blocks.emplace_back("optim." + name, t);
  }
  for (const auto& [name, t] : c.trainerTensors) {
    requireDefined(t, "trainer tensor " + name);
    box.blocks.emplace_back("trainer." + name, t);
  }
  for (const auto& [name, t] : c.exchangeTensors) {
    requireDefined(t, "exchange tensor " + name);
    box.blocks.emplace_back("exchange." + name, t);
  }
  std::string bytes = encodeContainer(kMagic, kCheckpointFormatVersion, box);

  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw OutputError(dir + ": cannot create the checkpoint directory: " + ec.message());
  char name[64];
  std::snprintf(name, sizeof name, "checkpoint-%010lld.shoalckpt", static_cast<long long>(iteration));
  std::string path = (fs::path(dir) / name).string();
  writeFileAtomically(path, bytes);
  prune(dir, iteration, keep);
  return path;
}

Checkpoint readCheckpoint(const std::string& path) {
  Container box = decodeContainer(path, readFileBytes(path, kKind), kMagic, kCheckpointFormatVersion, kKind);
  const std::string corruptHeader = path + ": corrupt checkpoint header";
  Checkpoint c;
  size_t bufferCount = 0;
  std::vector<std::string> optimNames, trainerNames, exchangeNames;
  try {
    const nlohmann::json& h = box.header;
    c.modelSpec = h.at("spec");
    c.info = modelInfoFromJson(h.at("info"), corruptHeader);
    c.generators = h.at("generators").get<std::vector<std::string>>();
    bufferCount = h.at("buffers").get<size_t>();
    c.optim.scalars = h.at("optim").at("scalars");
    optimNames = h.at("optim").at("tensors").get<std::vector<std::string>>();
    c.trainer = h.at("trainer");
    if (h.contains("trainer_tensors")) trainerNames = h.at("trainer_tensors").get<std::vector<std::string>>();
    if (h.contains("exchange")) {
      c.exchange = h.at("exchange");
      exchangeNames = h.at("exchange_tensors").get<std::vector<std::string>>();
    }
  } catch (const nlohmann::json::exception& e) {
    throw InputError(corruptHeader + ": " + e.what());
  }
  if (bufferCount > box.blocks.size() ||
      box.blocks.size() != 1 + bufferCount + optimNames.size() + trainerNames.size() + exchangeNames.size())
    throw InputError(path + ": corrupt checkpoint: " + std::to_string(box.blocks.size()) +
                     " blocks where the header lists the parameters, " + std::to_string(bufferCount) +
                     " state buffers, " + std::to_string(optimNames.size()) + " optimiser tensors, " +
                     std::to_string(trainerNames.size()) + " trainer tensors and " +
                     std::to_string(exchangeNames.size()) + " exchange tensors");
  c.parameters = block(box, "parameters", path);
  for (size_t i = 0; i < bufferCount; ++i) c.buffers.push_back(block(box, "buffer." + std::to_string(i), path));
  for (const std::string& name : optimNames) c.optim.tensors.emplace_back(name, block(box, "optim." + name, path));
  for (const std::string& name : trainerNames) c.trainerTensors.emplace_back(name, block(box, "trainer." + name, path));
  for (const std::string& name : exchangeNames)
    c.exchangeTensors.emplace_back(name, block(box, "exchange." + name, path));
  return c;
}

std::vector<std::string> listCheckpoints(const std::string& dir) {
  std::vector<std::string> paths;
  for (auto& [iteration, path] : scan(dir)) paths.push_back(std::move(path));
  return paths;
}

LoadedCheckpoint loadNewestCheckpoint(const std::string& dir, const std::function<void(const std::string&)>& warn) {
  std::vector<std::string> paths = listCheckpoints(dir);
  if (paths.empty())
    throw InputError(dir + ": no checkpoint to resume from (no checkpoint-<iteration>" + kSuffix + " files)");
  for (size_t i = 0; i + 1 < paths.size(); ++i) {
    try {
      return {paths[i], readCheckpoint(paths[i])};
    } catch (const InputError& e) {
      warn(std::string(e.what()) + "; falling back to an older checkpoint");
    }
  }
  try {
    return {paths.back(), readCheckpoint(paths.back())};
  } catch (const InputError& e) {
    throw InputError(dir + ": no readable checkpoint: " +
                     (paths.size() == 1 ? std::string("its only checkpoint file is damaged (")
                                        : "all " + std::to_string(paths.size()) +
                                              " checkpoint files are damaged (the oldest: ") +
                     e.what() + ")");
  }
}

void restoreInto(nn::Module& model, const Checkpoint& c, const std::string& path) {
  if (c.modelSpec != model.spec())
    throw InputError(path + ": the checkpoint holds another model: " + c.modelSpec.dump() + ", not " +
                     model.spec().dump());
  Tensor& values = model.flatParameters().values();
  int64_t held = c.parameters.defined() ? c.parameters.numel() : 0;
  if (held != values.numel())
    throw InputError(path + ": the checkpoint holds " + std::to_string(held) + " parameters but the model has " +
                     std::to_string(values.numel()));
  std::vector<nn::NamedBuffer> buffers = model.stateBuffers();
  if (c.buffers.size() != buffers.size())
    throw InputError(path + ": the checkpoint holds " + std::to_string(c.buffers.size()) +
                     " state buffers but the model has " + std::to_string(buffers.size()));
  for (size_t i = 0; i < buffers.size(); ++i)
    if (!c.buffers[i].defined() || c.buffers[i].numel() != buffers[i].value->numel())
      throw InputError(path + ": state buffer " + std::to_string(i) + " holds " +
                       std::to_string(c.buffers[i].defined() ? c.buffers[i].numel() : 0) +
                       " values but the model's has " + std::to_string(buffers[i].value->numel()));
  std::vector<nn::Generator*> generators{&nn::initGenerator()};
  for (nn::Generator* g : model.generators()) generators.push_back(g);
  if (c.generators.size() != generators.size())
    throw InputError(path + ": the checkpoint holds " + std::to_string(c.generators.size()) +
                     " random generator states but the model needs " + std::to_string(generators.size()) +
                     " (the initialisation generator and one per dropout layer)");
  std::vector<nn::Generator> states(generators.size());
  for (size_t i = 0; i < states.size(); ++i) {
    std::istringstream in(c.generators[i]);
    in >> states[i];
    bool malformed = in.fail();
    in >> std::ws;
    if (malformed || !in.eof())
      throw InputError(path + ": random generator state " + std::to_string(i) + " is malformed");
  }

  values.copyFrom(c.parameters);
  for (size_t i = 0; i < buffers.size(); ++i) buffers[i].value->copyFrom(c.buffers[i]);
  for (size_t i = 0; i < generators.size(); ++i) *generators[i] = states[i];
}

std::unique_ptr<nn::Module> restoreModel(const Checkpoint& c, const std::string& path) {
  std::unique_ptr<nn::Module> model = nn::buildModel(c.modelSpec, c.info.inputShape, path);
  restoreInto(*model, c, path);
  return model;
}

}  // namespace shoal::io
