// A run's inputs: the checkpoint it resumes from, this rank's shards of the data, and the model fitted to them.
#include <iostream>

#include "run_parts.hpp"
#include "shoal/data/holdout.hpp"
#include "shoal/data/shard.hpp"
#include "shoal/error.hpp"
#include "shoal/train/model_setup.hpp"
#include "shoal/train/run_log.hpp"
#include "shoal/train/run_table.hpp"

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
io::LoadedModel modelFor(const RunConfig& config, const Run::Parts& parts, const data::Preprocessing& fitted,
                         const data::TableSchema* table = nullptr) {
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
    nn::ZooOptions zoo;
    zoo.hidden = config.model.hidden;
    if (table) zoo.table = tableInput(*table);
    loaded = buildNamedModel(config.model.name, sets.train->sampleShape(), sets.numClasses, zoo);
    loaded.info.preprocessing = fitted;
    if (table) loaded.info.table = *table;
  }
  return loaded;
}

// The precision on the model, and the data sets fitted to its input.
void fitModelAndData(const RunConfig& config, Run::Parts& parts) {
  try {
    parts.precision = nn::resolvePrecision(config.precision, &parts.precisionNote);
  } catch (const UsageError& e) {
    throw ConfigError("precision", e.what());
  }
  parts.model().setPrecision(parts.precision);
  fitDataToModel(*parts.data.train, parts.loaded.info, "the training set");
  if (parts.data.test) fitDataToModel(*parts.data.test, parts.loaded.info, "the test set");
  if (parts.data.validation) fitDataToModel(*parts.data.validation, parts.loaded.info, "the validation set");
}

// "validation.split": a seeded (per-class, with "validation.stratify") share of the training set
// held out to validate on.
void holdOutValidation(const RunConfig& config, RunData& sets) {
  if (config.validation.split <= 0) return;
  data::Holdout split = data::holdOut(*sets.train, config.validation.split, config.validation.stratify, config.seed);
  sets.train = std::move(split.kept);
  sets.validation = std::move(split.held);
}

// A typed table: every rank reads its own rows (no rank reads the whole file), the schema is
// fitted across ranks, or taken from the model that training continues.
void loadTableInputs(const RunConfig& config, dist::Communicator& comm, Run::Parts& parts) {
  std::optional<data::TableSchema> given;
  if (parts.resumed) given = parts.resumed->checkpoint.info.table;
  else if (!config.model.file.empty()) given = io::loadModel(config.model.file).info.table;
  TableSets sets = loadTableSets(config.data, config.model.name != "tabular", config.seed, given, comm);
  if (!sets.cacheNote.empty() && (comm.rank() == 0 || comm.size() > 1))
    std::cout << (comm.size() > 1 ? "rank " + std::to_string(comm.rank()) + ": " : std::string()) + sets.cacheNote
              << std::endl;
  parts.data = std::move(sets.data);
  if (config.validation.split > 0 && !config.data.cache.empty())
    throw ConfigError("validation.split", "\"validation.split\" holds rows out of a table in memory, not of a "
                                          "cached one (\"data.cache\"): give a validation or test file instead");
  holdOutValidation(config, parts.data);
  parts.trainSamples = sets.trainRows;
  parts.testSamples = sets.testRows;
  if (parts.data.train->size() == 0)
    throw UsageError("rank " + std::to_string(comm.rank()) + " has no training rows: " + std::to_string(comm.size()) +
                     " ranks for a smaller table");
  if (comm.size() > 1)
    std::cout << "rank " + std::to_string(comm.rank()) + "/" + std::to_string(comm.size()) + ": " +
                     std::to_string(parts.data.train->size()) + " training rows of " + std::to_string(sets.trainRows) +
                     " (its byte range of the file)"
              << std::endl;
  parts.loaded = modelFor(config, parts, data::Preprocessing{}, &sets.schema);
  fitModelAndData(config, parts);
}

}  // namespace

void loadInputs(const RunConfig& config, dist::Communicator& comm, Run::Parts& parts) {
  if (!config.resume.empty())
    parts.resumed = io::loadNewestCheckpoint(config.resume, warnOnStderr);
  if (readsTables(config)) return loadTableInputs(config, comm, parts);
  parts.data = loadRunData(config.data, DataUse::Training);
  RunData& sets = parts.data;
  holdOutValidation(config, sets);
  const data::Preprocessing fitted = fitPreprocessing(config.data, *sets.train);
  parts.trainSamples = sets.train->size();
  parts.testSamples = sets.test ? sets.test->size() : 0;
  if (comm.size() > 1) keepOwnShards(config, comm, sets);
  parts.loaded = modelFor(config, parts, fitted);
  fitModelAndData(config, parts);
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
