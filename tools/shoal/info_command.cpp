// `shoal info`: version, build type, oneDNN version, instruction set and threads.
#include <iostream>

#include "commands.hpp"
#include "shoal/backend/cpu/engine.hpp"
#include "shoal/version.hpp"

namespace shoal::cli {

Subcommand addInfoCommand(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("info", "Print version, build and hardware information");
  return {sub, [] {
            namespace cpu = backend::cpu;
            std::cout << "shoal " << version() << " (" << buildType() << " build)\n"
                      << "oneDNN " << cpu::dnnlVersion() << "\n"
                      << "instruction set: " << cpu::instructionSet() << "\n"
                      << "threads: " << cpu::threadCount() << "\n";
            return 0;
          }};
}

}  // namespace shoal::cli
