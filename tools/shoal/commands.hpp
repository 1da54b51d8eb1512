// The subcommands of the shoal CLI: each registers its flags and the function that runs it.
#pragma once
#include <functional>

#include <CLI/CLI.hpp>

namespace shoal::cli {

struct Subcommand {
  CLI::App* app;
  std::function<int()> run;  // returns the exit code
};

Subcommand addTrainCommand(CLI::App& app);
Subcommand addEvalCommand(CLI::App& app);
Subcommand addPredictCommand(CLI::App& app);
Subcommand addInfoCommand(CLI::App& app);
Subcommand addSummaryCommand(CLI::App& app);
Subcommand addReportCommand(CLI::App& app);
Subcommand addUiCommand(CLI::App& app);
Subcommand addMakeDataCommand(CLI::App& app);
Subcommand addConvertCommand(CLI::App& app);

}  // namespace shoal::cli
