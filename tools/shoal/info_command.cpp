// `shoal info`: version, build type, oneDNN version, instruction set, bf16 support, what precision auto picks, threads.
#include <iostream>

#include "commands.hpp"
#include "shoal/backend/cpu_info.hpp"
#include "shoal/nn/precision.hpp"
#include "shoal/version.hpp"

namespace shoal::cli {

Subcommand addInfoCommand(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("info", "Print version, build and hardware information");
  return {sub, [] {
            std::string note;
            const nn::Precision autoPick = nn::resolvePrecision("auto", &note);
            std::cout << "shoal " << version() << " (" << buildType() << " build)\n"
                      << "oneDNN " << backend::oneDnnVersion() << "\n"
                      << "instruction set: " << backend::instructionSet() << "\n"
                      << "bf16: " << backend::bf16SupportDescription() << "\n"
                      << "precision auto: " << nn::precisionName(autoPick) << "\n"
                      << "threads: " << backend::threadCount() << "\n";
            return 0;
          }};
}

}  // namespace shoal::cli
