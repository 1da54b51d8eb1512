// `shoal make-data risk`: writes the synthetic credit table (train.csv, test.csv, truth.json) and prints its achievable AUC.
#include <cstdio>
#include <iostream>

#include "commands.hpp"
#include "shoal/data/synthetic_risk.hpp"

namespace shoal::cli {

Subcommand addMakeDataCommand(CLI::App& app) {
  auto o = std::make_shared<data::RiskTableOptions>();
  auto kind = std::make_shared<std::string>();
  CLI::App* sub = app.add_subcommand(
      "make-data", "Write a synthetic data set: risk, a credit table (about 40 columns: numeric with missing "
                   "cells, low- and high-cardinality categories, booleans; label default good/bad, ~8% bad) "
                   "with a known logistic signal");
  sub->add_option("kind", *kind, "What to write: risk")->required()->check(CLI::IsMember({"risk"}));
  sub->add_option("--rows", o->trainRows, "Training rows")->capture_default_str()->check(CLI::PositiveNumber);
  sub->add_option("--test-rows", o->testRows, "Test rows")->capture_default_str()->check(CLI::NonNegativeNumber);
  sub->add_option("--seed", o->seed, "Seed: the same seed writes the same files")->capture_default_str();
  sub->add_option("--out", o->outDir, "Directory for train.csv, test.csv and truth.json")->required();
  return {sub, [o, kind] {  // both outlive parsing: CLI11 writes into them
            const data::RiskTableSummary s = data::writeRiskTable(*o);
            std::printf("wrote %s/train.csv (%lld rows, %.2f%% bad) and %s/test.csv (%lld rows, %.2f%% bad) in %.1f s\n",
                        o->outDir.c_str(), static_cast<long long>(s.trainRows), 100 * s.trainPositiveShare,
                        o->outDir.c_str(), static_cast<long long>(s.testRows), 100 * s.testPositiveShare, s.seconds);
            std::printf("achievable test AUC (the true default probabilities): %.4f\n", s.testBayesAuc);
            std::printf("truth: %s/truth.json\n", o->outDir.c_str());
            return 0;
          }};
}

}  // namespace shoal::cli
