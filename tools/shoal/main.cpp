// shoal command-line tool: parses flags, runs one subcommand, turns errors into one line and an exit code.
#include <csignal>
#include <iostream>
#include <new>

#include "commands.hpp"
#include "exit_code.hpp"
#include "flag_names.hpp"
#include "shoal/error.hpp"
#include "shoal/version.hpp"

int main(int argc, char** argv) {
  // A file-size limit must surface as a write error with a message, not kill the process.
  std::signal(SIGXFSZ, SIG_IGN);
  CLI::App app{"shoal: train neural networks fast on CPUs (oneDNN)", "shoal"};
  app.require_subcommand(1);
  app.set_version_flag("--version", shoal::version());
  const shoal::cli::Subcommand commands[] = {
      shoal::cli::addTrainCommand(app), shoal::cli::addEvalCommand(app),
      shoal::cli::addPredictCommand(app), shoal::cli::addInfoCommand(app),
      shoal::cli::addSummaryCommand(app), shoal::cli::addReportCommand(app),
      shoal::cli::addUiCommand(app), shoal::cli::addMakeDataCommand(app),
      shoal::cli::addConvertCommand(app)};

  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    for (const auto& command : commands) known = known || command.app->get_name() == argv[1];
    if (!known) {
      std::cerr << "shoal: error: unknown command '" << argv[1]
                << "' (commands: train, eval, predict, info, summary, report, ui, make-data, convert; see shoal --help)\n";
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "shoal: error: " << e.what() << " (see shoal --help)\n";
    return 2;
  }
  try {
    for (const auto& command : commands)
      if (command.app->parsed()) return command.run();
    return 0;
  } catch (const shoal::Error& e) {
    std::cerr << "shoal: error: " << shoal::cli::errorMessage(e) << "\n";
    return shoal::cli::exitCodeFor(e);
  } catch (const std::bad_alloc&) {
    std::cerr << "shoal: error: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "shoal: internal error: " << e.what() << "\n";
    return 1;
  }
}
