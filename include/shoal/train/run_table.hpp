// Typed-table runs: reading a DataConfig's CSV files as tables (each rank its share) and the tabular model's input layout.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "shoal/data/table_schema.hpp"
#include "shoal/dist/communicator.hpp"
#include "shoal/nn/zoo.hpp"
#include "shoal/train/run_config.hpp"
#include "shoal/train/run_data.hpp"

namespace shoal::train {

// True when a training run reads its CSV files as typed tables: the "tabular" model, or
// "data.table".
bool readsTables(const RunConfig& config);

// The reading options "data" gives; `allOneHot` for models without embeddings (all but tabular).
data::TableOptions tableOptions(const DataConfig& config, bool allOneHot);

struct TableSets {
  RunData data;  // this rank's encoded rows of the training and test sets
  data::TableSchema schema;
  int64_t trainRows = 0, testRows = 0;  // over all ranks
  std::string cacheNote;  // with "data.cache": whether the rows were mapped or written, and why
};

// Reads "data.train_csv" (this rank's byte range of it), holds out "data.holdout" of its rows as
// the test set when there is no "data.test_csv" (rows chosen by a hash of `seed` and the row's
// index in the file, so 1 rank and N ranks hold out the same rows), fits the schema across ranks
// (or uses `given`, a model's schema when training continues) and encodes both sets with it.
// With "data.cache": the rank's rows come from its cache file when the sources and settings are
// unchanged, else they are read and the cache is (re)written; either way the training rows are
// then streamed from the mapped file with a block shuffle (Dataset::shuffleBlock).
TableSets loadTableSets(const DataConfig& config, bool allOneHot, uint64_t seed,
                        const std::optional<data::TableSchema>& given, dist::Communicator& comm);

// `path` read and encoded with a fitted schema (eval, predict, Python), by this process alone.
data::Dataset readTableWithSchema(const std::string& path, const data::TableSchema& schema, bool keepLabels,
                                  int64_t limit = 0);

// The tabular model's view of the encoded row.
nn::TableInput tableInput(const data::TableSchema& schema);

}  // namespace shoal::train
