// Checkpoints: everything a training run needs to continue exactly (model, optimiser, random state, trainer position).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "shoal/io/model_file.hpp"
#include "shoal/nn/module.hpp"
#include "shoal/optim/optim_method.hpp"

namespace shoal::io {

// A binary container (binary_container.hpp) with the magic "SHOALCKP", version
// kCheckpointFormatVersion, the header {"spec", "info", "generators", "buffers": count,
// "optim": {"scalars", "tensors": [names]}, "trainer", "trainer_tensors": [names]} and, when
// the gradient exchange keeps state, "exchange" and "exchange_tensors": [names]; the blocks
// "parameters", "buffer.<i>", "optim.<name>", "trainer.<name>" and "exchange.<name>".
inline constexpr uint32_t kCheckpointFormatVersion = 1;

struct Checkpoint {
  nlohmann::json modelSpec;             // model.spec()
  ModelInfo info;                       // input shape, classes, preprocessing
  Tensor parameters;                    // flat parameter values (copy)
  std::vector<Tensor> buffers;          // model.stateBuffers() values, in order (copies)
  std::vector<std::string> generators;  // serialised std::mt19937_64 states (operator<<), in order
  optim::OptimState optim;
  nlohmann::json trainer;  // free-form trainer position (epoch, iteration, batch, sums)
  std::vector<std::pair<std::string, Tensor>> trainerTensors;  // the trainer's own (early stopping's copy)
  // the gradient exchange's own state (dist::ExchangeState: threshold compression's per-rank
  // residuals); null and empty when it keeps none
  nlohmann::json exchange;
  std::vector<std::pair<std::string, Tensor>> exchangeTensors;
};

// Captures a model's current state (everything but optim and trainer, which the caller sets).
// The generators are nn::initGenerator() followed by model.generators().
Checkpoint captureModel(nn::Module& model, const ModelInfo& info);

// Writes dir/checkpoint-<iteration as 10 digits>.shoalckpt atomically (writeFileAtomically),
// creating dir when needed, then deletes all but the newest `keep` checkpoint files of the
// directory (keep >= 1) and leftover temporary files. Returns the path. Throws OutputError
// (previous checkpoints stay intact) when the write fails, UsageError for a negative iteration
// or keep < 1.
std::string writeCheckpoint(const std::string& dir, int64_t iteration, const Checkpoint& c, int keep);

// Reads one checkpoint; InputError naming the file for missing/truncated/corrupt/foreign/newer files.
Checkpoint readCheckpoint(const std::string& path);

// Checkpoint files of `dir`, newest (highest iteration) first; empty when none or no directory.
std::vector<std::string> listCheckpoints(const std::string& dir);

struct LoadedCheckpoint {
  std::string path;
  Checkpoint checkpoint;
};

// The newest checkpoint of `dir` that reads cleanly; for each newer one that does not, calls
// warn("<path>: <error>; falling back to an older checkpoint"). InputError when dir has no
// readable checkpoint, saying whether it had none or all were bad.
LoadedCheckpoint loadNewestCheckpoint(const std::string& dir, const std::function<void(const std::string&)>& warn);

// Rebuilds the model from a checkpoint (nn::buildModel on modelSpec and info.inputShape), loads
// parameters, buffers and generator states; InputError starting with `path` on any size mismatch.
std::unique_ptr<nn::Module> restoreModel(const Checkpoint& c, const std::string& path);

// Puts a checkpoint's parameters, buffers and generator states (nn::initGenerator() first) into
// an existing model of the same spec. Checks everything before changing anything; InputError
// starting with `path` on a mismatch.
void restoreInto(nn::Module& model, const Checkpoint& c, const std::string& path);

}  // namespace shoal::io
