// Typed-table runs: options from the configuration, the training/test split, the schema fitted across ranks.
#include "shoal/train/run_table.hpp"

#include <limits>

#include "shoal/data/table_reader.hpp"
#include "shoal/error.hpp"

namespace shoal::train {
namespace {

// splitmix64: a well-mixed hash of (seed, row) for the held-out rows.
uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

bool heldOut(uint64_t seed, int64_t row, double share) {
  const double u = static_cast<double>(mix(mix(seed) ^ static_cast<uint64_t>(row)) >> 11) * 0x1.0p-53;
  return u < share;
}

data::Dataset limited(data::Dataset d, int64_t limit) { return limit > 0 && limit < d.size() ? d.head(limit) : d; }

int64_t total(int64_t value, dist::Communicator& comm) {
  if (comm.size() == 1) return value;
  int64_t sum = 0;
  for (int64_t v : comm.allGather(value)) sum += v;
  return sum;
}

}  // namespace

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

TableSets loadTableSets(const DataConfig& config, bool allOneHot, uint64_t seed,
                        const std::optional<data::TableSchema>& given, dist::Communicator& comm) {
  if (config.noLabel) throw ConfigError("data.no_label", "training needs labels (drop \"data.no_label\")");
  const data::TableOptions options = tableOptions(config, allOneHot);
  const data::TableLayout layout = given ? data::inspectTable(config.trainCsv, *given, true)
                                         : data::inspectTable(config.trainCsv, options);
  data::RawTable rows = data::readTableRows(layout, options, given ? &*given : nullptr, comm);
  std::optional<data::RawTable> heldOutRows;
  if (config.testCsv.empty() && config.holdout > 0) {
    int64_t first = 0;  // this rank's first row in the file
    if (comm.size() > 1) {
      const std::vector<int64_t> counts = comm.allGather(rows.rows);
      for (int r = 0; r < comm.rank(); ++r) first += counts[static_cast<size_t>(r)];
    }
    std::vector<int64_t> keep, hold;
    for (int64_t i = 0; i < rows.rows; ++i) (heldOut(seed, first + i, config.holdout) ? hold : keep).push_back(i);
    heldOutRows = rows.take(hold);
    rows = rows.take(keep);
  }
  TableSets sets;
  sets.schema = given ? *given : data::fitTableSchema(rows, layout, options, comm);
  if (!given) data::mapToSchema(rows, layout, sets.schema);
  sets.data.train = limited(data::encodeTable(rows, layout, sets.schema), config.trainLimit);
  if (heldOutRows) {
    if (!given) data::mapToSchema(*heldOutRows, layout, sets.schema);
    sets.data.test = limited(data::encodeTable(*heldOutRows, layout, sets.schema), config.testLimit);
  } else if (!config.testCsv.empty()) {
    const data::TableLayout testLayout = data::inspectTable(config.testCsv, sets.schema, true);
    const data::RawTable test = data::readTableRows(testLayout, options, &sets.schema, comm);
    sets.data.test = limited(data::encodeTable(test, testLayout, sets.schema), config.testLimit);
  }
  sets.data.numClasses = static_cast<int>(sets.schema.classes);
  sets.data.description = "CSV table";
  sets.trainRows = total(sets.data.train->size(), comm);
  sets.testRows = sets.data.test ? total(sets.data.test->size(), comm) : 0;
  return sets;
}

data::Dataset readTableWithSchema(const std::string& path, const data::TableSchema& schema, bool keepLabels,
                                  int64_t limit) {
  const data::TableLayout layout = data::inspectTable(path, schema, keepLabels);
  auto single = dist::singleProcess();
  const data::RawTable rows = data::readTableRows(layout, data::TableOptions{}, &schema, *single);
  return limited(data::encodeTable(rows, layout, schema), limit);
}

nn::TableInput tableInput(const data::TableSchema& schema) {
  nn::TableInput input;
  input.dense = schema.denseWidth();
  for (const data::TableColumn& c : schema.columns)
    if (c.type == data::ColumnType::Categorical && c.embedded) input.embedded.push_back({c.codes(), c.embedDim});
  return input;
}

}  // namespace shoal::train
