// `shoal convert`: reads a CSV table once and writes the table cache that `shoal train --cache` maps.
#include <iostream>

#include "commands.hpp"
#include "data_options.hpp"
#include "flag_names.hpp"
#include "shoal/error.hpp"
#include "shoal/train/run_table.hpp"

namespace shoal::cli {
namespace {

struct ConvertOptions {
  train::RunConfig config;
};

int run(ConvertOptions& o) {
  const train::RunConfig& c = o.config;
  c.check();
  if (c.data.cache.empty()) throw ConfigError("data.cache", "give \"data.cache\", the directory to write the cache to");
  if (c.data.trainCsv.empty()) throw ConfigError("data.train_csv", "give \"data.train_csv\", the table to convert");
  auto comm = dist::connect(c.dist.commTimeout, c.dist.sharedMemory);
  const train::TableSets sets = train::loadTableSets(c.data, c.model.name != "tabular", c.seed, std::nullopt, *comm);
  if (comm->rank() == 0 || comm->size() > 1)
    std::cout << (comm->size() > 1 ? "rank " + std::to_string(comm->rank()) + ": " : std::string()) + sets.cacheNote +
                     ": " + std::to_string(sets.data.train->size()) + " training rows" +
                     (sets.data.test ? ", " + std::to_string(sets.data.test->size()) + " test rows" : std::string()) +
                     " of width " + std::to_string(sets.schema.width())
              << std::endl;
  return 0;
}

}  // namespace

Subcommand addConvertCommand(CLI::App& app) {
  auto o = std::make_shared<ConvertOptions>();
  CLI::App* sub = app.add_subcommand(
      "convert",
      "Read a CSV table once into the table cache (--cache DIR) that train maps; give the flags train will get "
      "(under mpirun, with as many ranks)");
  sub->add_option("--model", o->config.model.name, "The model the cache is for: tabular (embeddings) or another (one-hot)")
      ->capture_default_str();
  sub->add_option("--seed", o->config.seed, "Seed of the held-out rows (as train's --seed)")->capture_default_str();
  addDataOptions(*sub, o->config.data, /*training=*/true);
  return {sub, [o] {
            try {
              return run(*o);
            } catch (const ConfigError& e) {
              throw UsageError(withFlagNames(e.message()));
            }
          }};
}

}  // namespace shoal::cli
