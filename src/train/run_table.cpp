// Typed-table runs: options from the configuration, the training/test split, the schema fitted across ranks.
#include "shoal/train/run_table.hpp"

#include <filesystem>
#include <limits>

#include "shoal/data/splitmix.hpp"
#include "shoal/data/table_cache.hpp"
#include "shoal/data/table_reader.hpp"
#include "shoal/error.hpp"

namespace shoal::train {
namespace {

bool heldOut(uint64_t seed, int64_t row, double share) {
  const double u = static_cast<double>(data::splitMix64(data::splitMix64(seed) ^ static_cast<uint64_t>(row)) >> 11) * 0x1.0p-53;
  return u < share;
}

data::Dataset limited(data::Dataset d, int64_t limit) { return limit > 0 && limit < d.size() ? d.head(limit) : d; }

int64_t total(int64_t value, dist::Communicator& comm) {
  if (comm.size() == 1) return value;
  int64_t sum = 0;
  for (int64_t v : comm.allGather(value)) sum += v;
  return sum;
}

// Everything that decides a rank's encoded rows: the sources (this rank's share of each file's
// bytes, by content), the reading settings, the rank.
nlohmann::json cacheKey(const DataConfig& c, bool allOneHot, uint64_t seed,
                        const std::optional<data::TableSchema>& given, const dist::Communicator& comm) {
  const bool holdout = c.testCsv.empty() && c.holdout > 0;
  const int rank = comm.rank(), ranks = comm.size();
  return {{"train", data::sourceFingerprint(c.trainCsv, rank, ranks)},
          {"test", c.testCsv.empty() ? nlohmann::json() : data::sourceFingerprint(c.testCsv, rank, ranks)},
          {"label", c.labelColumn},
          {"categorical", c.categorical},
          {"numeric", c.numeric},
          {"ignore", c.ignore},
          {"embed", c.embed},
          {"one_hot", c.oneHot},
          {"all_one_hot", allOneHot},
          {"missing", c.missing},
          {"impute", c.impute},
          {"embed_threshold", c.embedThreshold},
          {"max_categories", c.maxCategories},
          {"type_errors", c.typeErrors},
          {"holdout", holdout ? c.holdout : 0.0},
          {"holdout_seed", holdout ? seed : 0},
          {"train_limit", c.trainLimit},
          {"test_limit", c.testLimit},
          {"schema", given ? given->toJson() : nlohmann::json()},
          {"rank", comm.rank()},
          {"ranks", comm.size()}};
}

// DIR/<csv file name>.r<rank>of<ranks>.shoaltable
std::string cacheFile(const DataConfig& c, const dist::Communicator& comm) {
  std::error_code ec;
  std::filesystem::create_directories(c.cache, ec);
  if (!std::filesystem::is_directory(c.cache))
    throw ConfigError("data.cache", "\"data.cache\": cannot create the directory " + c.cache);
  return (std::filesystem::path(c.cache) / (std::filesystem::path(c.trainCsv).filename().string() + ".r" +
                                            std::to_string(comm.rank()) + "of" + std::to_string(comm.size()) +
                                            ".shoaltable"))
      .string();
}

// Samples per block of the block shuffle over a mapped cache: about 4 MiB of rows.
int64_t shuffleBlock(int64_t width) { return std::max<int64_t>(1, (4 << 20) / (width * 4)); }

TableSets fromCache(data::CachedTable cached) {
  TableSets sets;
  sets.schema = std::move(cached.schema);
  cached.train.setShuffleBlock(shuffleBlock(sets.schema.width()));
  sets.data.train = std::move(cached.train);
  sets.data.test = std::move(cached.test);
  sets.data.numClasses = static_cast<int>(sets.schema.classes);
  sets.data.description = "CSV table (mapped cache)";
  sets.trainRows = cached.trainRows;
  sets.testRows = cached.testRows;
  return sets;
}

// A table read and its schema fitted (or given), its rows not yet encoded.
struct RawSets {
  data::TableSchema schema;
  data::RawSet train;
  std::optional<data::RawSet> test;  // the held-out rows, or the test file's
};

RawSets readRawSets(const DataConfig& config, bool allOneHot, uint64_t seed,
                    const std::optional<data::TableSchema>& given, dist::Communicator& comm);
TableSets encoded(RawSets raw, dist::Communicator& comm);

}  // namespace

TableSets loadTableSets(const DataConfig& config, bool allOneHot, uint64_t seed,
                        const std::optional<data::TableSchema>& given, dist::Communicator& comm) {
  if (config.cache.empty()) return encoded(readRawSets(config, allOneHot, seed, given, comm), comm);
  const nlohmann::json key = cacheKey(config, allOneHot, seed, given, comm);
  const std::string path = cacheFile(config, comm);
  std::string why;
  std::optional<data::CachedTable> cached = data::openTableCache(path, key, why);
  // Every rank maps its cache or every rank rebuilds: the schema is fitted over all the ranks'
  // rows, so one rank's changed share (or missing cache) makes every rank's stale.
  if (comm.size() > 1) {
    const std::vector<int64_t> usable = comm.allGather(int64_t{cached.has_value()});
    for (size_t r = 0; r < usable.size() && cached; ++r)
      if (usable[r] == 0) {
        cached.reset();
        why = "rank " + std::to_string(r) + "'s cache is missing or stale";
      }
  }
  if (cached) {
    TableSets sets = fromCache(std::move(*cached));
    sets.cacheNote = "table cache: mapped " + path;
    return sets;
  }
  {  // encoded straight into the file; training reads the rows from it as every later run does
    RawSets read = readRawSets(config, allOneHot, seed, given, comm);
    const int64_t trainRows = total(read.train.kept(), comm);
    const int64_t testRows = read.test ? total(read.test->kept(), comm) : 0;
    data::writeTableCache(path, key, read.schema, std::move(read.train), std::move(read.test), trainRows, testRows);
  }
  std::string reopened;
  cached = data::openTableCache(path, key, reopened);
  if (!cached) throw OutputError(path + ": the table cache just written does not read back: " + reopened);
  TableSets sets = fromCache(std::move(*cached));
  sets.cacheNote = "table cache: wrote " + path + " (" + why + ")";
  return sets;
}

bool readsTables(const RunConfig& config) {
  return !config.data.trainCsv.empty() && (config.model.name == "tabular" || config.data.table);
}

data::TableOptions tableOptions(const DataConfig& c, bool allOneHot) {
  data::TableOptions o;
  o.labelColumn = c.labelColumn;
  o.hasLabel = !c.noLabel;
  o.categorical = c.categorical;
  o.numeric = c.numeric;
  o.ignore = c.ignore;
  o.embed = allOneHot ? std::vector<std::string>{} : c.embed;
  o.oneHot = c.oneHot;
  o.missing = c.missing;
  o.impute = c.impute;
  o.embedThreshold = allOneHot ? std::numeric_limits<int64_t>::max() : c.embedThreshold;
  o.maxCategories = c.maxCategories;
  o.typeErrorsAsMissing = c.typeErrors == "missing";
  return o;
}

namespace {

RawSets readRawSets(const DataConfig& config, bool allOneHot, uint64_t seed,
                    const std::optional<data::TableSchema>& given, dist::Communicator& comm) {
  if (config.noLabel) throw ConfigError("data.no_label", "training needs labels (drop \"data.no_label\")");
  const data::TableOptions options = tableOptions(config, allOneHot);
  RawSets sets;
  data::RawSet& train = sets.train;
  train.layout = given ? data::inspectTable(config.trainCsv, *given, true) : data::inspectTable(config.trainCsv, options);
  train.rows = data::readTableRows(train.layout, options, given ? &*given : nullptr, comm);
  train.limit = config.trainLimit;
  std::optional<data::RawTable> heldOutRows;
  if (config.testCsv.empty() && config.holdout > 0) {
    int64_t first = 0;  // this rank's first row in the file
    if (comm.size() > 1) {
      const std::vector<int64_t> counts = comm.allGather(train.rows.rows);
      for (int r = 0; r < comm.rank(); ++r) first += counts[static_cast<size_t>(r)];
    }
    std::vector<int64_t> hold;
    for (int64_t i = 0; i < train.rows.rows; ++i)
      if (heldOut(seed, first + i, config.holdout)) hold.push_back(i);
    heldOutRows = train.rows.extract(hold);
  }
  sets.schema = given ? *given : data::fitTableSchema(train.rows, train.layout, options, comm);
  if (!given) data::mapToSchema(train.rows, train.layout, sets.schema);
  if (heldOutRows) {
    if (!given) data::mapToSchema(*heldOutRows, train.layout, sets.schema);
    sets.test = data::RawSet{std::move(*heldOutRows), train.layout, config.testLimit};
  } else if (!config.testCsv.empty()) {
    data::TableLayout testLayout = data::inspectTable(config.testCsv, sets.schema, true);
    data::RawTable testRows = data::readTableRows(testLayout, options, &sets.schema, comm);
    sets.test = data::RawSet{std::move(testRows), std::move(testLayout), config.testLimit};
  }
  return sets;
}

TableSets encoded(RawSets raw, dist::Communicator& comm) {
  TableSets sets;
  sets.schema = std::move(raw.schema);
  sets.data.train = limited(data::encodeTable(std::move(raw.train.rows), raw.train.layout, sets.schema), raw.train.limit);
  if (raw.test)
    sets.data.test = limited(data::encodeTable(std::move(raw.test->rows), raw.test->layout, sets.schema), raw.test->limit);
  sets.data.numClasses = static_cast<int>(sets.schema.classes);
  sets.data.description = "CSV table";
  sets.trainRows = total(sets.data.train->size(), comm);
  sets.testRows = sets.data.test ? total(sets.data.test->size(), comm) : 0;
  return sets;
}

}  // namespace

data::Dataset readTableWithSchema(const std::string& path, const data::TableSchema& schema, bool keepLabels,
                                  int64_t limit) {
  const data::TableLayout layout = data::inspectTable(path, schema, keepLabels);
  auto single = dist::singleProcess();
  return limited(data::encodeTable(data::readTableRows(layout, data::TableOptions{}, &schema, *single), layout, schema),
                 limit);
}

nn::TableInput tableInput(const data::TableSchema& schema) {
  nn::TableInput input;
  input.dense = schema.denseWidth();
  for (const data::TableColumn& c : schema.columns)
    if (c.type == data::ColumnType::Categorical && c.embedded) input.embedded.push_back({c.codes(), c.embedDim});
  return input;
}

}  // namespace shoal::train
