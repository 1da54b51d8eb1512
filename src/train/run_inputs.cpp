// A run's inputs: the checkpoint it resumes from, this rank's shards of the data, and the model fitted to them.
#include <iostream>

#include "run_parts.hpp"
#include "shoal/data/holdout.hpp"
#include "shoal/data/shard.hpp"
#include "shoal/error.hpp"
#include "shoal/train/model_setup.hpp"
#include "shoal/train/run_log.hpp"

namespace shoal::train {
namespace {

void warnOnStderr(const std::string& warning) { std::cerr << "shoal: warning: " << warning << std::endl; }

// "local": the training set given to this rank is already its own (a Spark task's partition);
// only the validation and test sets, which every rank holds whole, are split.
void keepOwnShards(const RunConfig& config, dist::Communicator& comm, RunData& sets) {
  const int rank = comm.rank(), ranks = comm.size();
  const data::Shard shard{rank, ranks, config.dist.shard == "strided" ? data::Shard::Layout::Strided
                                                                      : data::Shard::Layout::Contiguous};
  std::string shown = "rank " + std::to_string(rank) + "/" + std::to_string(ranks) + ": training ";
  if (config.dist.shard == "local") {
    shown += "samples given to this rank: " + std::to_string(sets.train->size());
  } else {
    shown += "shard " + shard.describe(sets.train->size());
    *sets.train = data::takeShard(*sets.train, shard);
  }
  if (sets.validation) {
    shown += "; validation shard " + shard.describe(sets.validation->size());
    *sets.validation = data::takeShard(*sets.validation, shard);
  }
  if (sets.test) {
    shown += "; test shard " + shard.describe(sets.test->size());
    *sets.test = data::takeShard(*sets.test, shard);
  }
  if (sets.train->size() == 0)
    throw UsageError("rank " + std::to_string(rank) + " has no training samples: " +
                     std::to_string(ranks) + " ranks for a smaller data set");
  showLine(shown);
  if (rank == 0 && !comm.gradientRoute().empty()) showLine("gradients: " + comm.gradientRoute());
}

// The model: the checkpoint's when resuming, the saved one named by "model.file", else built.
io::LoadedModel modelFor(const RunConfig& config, const Run::Parts& parts,
                         const data::Preprocessing& fitted) {
  const RunData& sets = parts.data;
  io::LoadedModel loaded;
  if (parts.resumed) {
    loaded.model = io::restoreModel(parts.resumed->checkpoint, parts.resumed->path);
    loaded.info = parts.resumed->checkpoint.info;
  } else if (!config.model.file.empty()) {
    loaded = io::loadModel(config.model.file);
    if (sets.numClasses > loaded.info.classes)
      throw UsageError("the data has " + std::to_string(sets.numClasses) + " classes but " +
                       config.model.file + " predicts " + std::to_string(loaded.info.classes));
  } else {
    loaded = buildNamedModel(config.model.name, sets.train->sampleShape(), sets.numClasses,
                             {config.model.hidden});
    loaded.info.preprocessing = fitted;
  }
  return loaded;
}

}  // namespace

void loadInputs(const RunConfig& config, dist::Communicator& comm, Run::Parts& parts) {
  if (!config.resume.empty())
    parts.resumed = io::loadNewestCheckpoint(config.resume, warnOnStderr);
  parts.data = loadRunData(config.data, DataUse::Training);
  RunData& sets = parts.data;
  if (config.validation.split > 0) {
    data::Holdout split = data::holdOut(*sets.train, config.validation.split, config.validation.stratify, config.seed);
    sets.train = std::move(split.kept);
    sets.validation = std::move(split.held);
  }
  const data::Preprocessing fitted = fitPreprocessing(config.data, *sets.train);
  parts.trainSamples = sets.train->size();
  parts.testSamples = sets.test ? sets.test->size() : 0;
  if (comm.size() > 1) keepOwnShards(config, comm, sets);
  parts.loaded = modelFor(config, parts, fitted);
  try {
    parts.precision = nn::resolvePrecision(config.precision, &parts.precisionNote);
  } catch (const UsageError& e) {
    throw ConfigError("precision", e.what());
  }
  parts.model().setPrecision(parts.precision);
  fitDataToModel(*sets.train, parts.loaded.info, "the training set");
  if (sets.test) fitDataToModel(*sets.test, parts.loaded.info, "the test set");
  if (sets.validation) fitDataToModel(*sets.validation, parts.loaded.info, "the validation set");
}

void takeInputs(const RunConfig& config, dist::Communicator& comm, RunInputs inputs, Run::Parts& parts) {
  parts.given = std::move(inputs.model);
  parts.loaded.info = std::move(inputs.info);
  parts.methods = std::move(inputs.methods);
  RunData& sets = parts.data;
  sets.train = std::move(inputs.train);
  sets.test = std::move(inputs.validation);
  sets.description = std::move(inputs.description);
  sets.numClasses = static_cast<int>(parts.loaded.info.classes);
  if (sets.train->size() == 0) throw UsageError("the training set is empty");
  if (!sets.train->hasLabels()) throw UsageError("training needs labelled data");
  if (config.validation.split > 0) {
    if (sets.test)
      throw ConfigError("validation.split", "\"validation.split\" holds out validation data: give either it or "
                                            "a validation set, not both");
    data::Holdout split = data::holdOut(*sets.train, config.validation.split, config.validation.stratify, config.seed);
    sets.train = std::move(split.kept);
    sets.test = std::move(split.held);
  }
  parts.trainSamples = sets.train->size();
  parts.testSamples = sets.test ? sets.test->size() : 0;
  if (comm.size() > 1) keepOwnShards(config, comm, sets);
  if (!config.resume.empty()) {
    parts.resumed = io::loadNewestCheckpoint(config.resume, warnOnStderr);
    io::restoreInto(*parts.given, parts.resumed->checkpoint, parts.resumed->path);
  }
  fitDataToModel(*sets.train, parts.loaded.info, "the training set");
  if (sets.test) fitDataToModel(*sets.test, parts.loaded.info, "the validation set");
}

}  // namespace shoal::train
