// Child-process runs of the CLI with captured output, and temp-file helpers.
#include "support/cli_runner.hpp"

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace shoal::testing {

std::string makeTempDir(const std::string& stem) {
  static std::mt19937_64 gen(std::random_device{}());
  auto dir = std::filesystem::temp_directory_path() /
             ("shoal-" + stem + "-" + std::to_string(gen() % 1000000000));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

void writeText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string readText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string cliPath() { return SHOAL_CLI_PATH; }

CliResult runCli(const std::string& args, int timeoutSeconds) {
  return runShell(cliPath() + " " + args, timeoutSeconds);
}

CliResult runShell(const std::string& command, int timeoutSeconds) {
  std::string dir = makeTempDir("cli");
  writeText(dir + "/command.sh", command + "\n");
  std::string line = "timeout " + std::to_string(timeoutSeconds) + " sh " + dir + "/command.sh >" +
                     dir + "/out 2>" + dir + "/err";
  int status = std::system(line.c_str());
  CliResult r;
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = readText(dir + "/out");
  r.err = readText(dir + "/err");
  std::filesystem::remove_all(dir);
  return r;
}

}  // namespace shoal::testing
