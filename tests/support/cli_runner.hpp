// Running the real shoal binary from tests and capturing its exit code and output.
#pragma once
#include <string>

namespace shoal::testing {

struct CliResult {
  int exitCode = -1;
  std::string out;  // standard output
  std::string err;  // standard error
};

// Runs `shoal <args>` (args are passed to /bin/sh as written) with a time limit in seconds.
CliResult runCli(const std::string& args, int timeoutSeconds = 300);
// Runs a /bin/sh command line with a time limit in seconds.
CliResult runShell(const std::string& command, int timeoutSeconds = 300);
// The path of the shoal binary under test.
std::string cliPath();

// A fresh empty directory under the system temp directory, named after `stem`.
std::string makeTempDir(const std::string& stem);
// Writes `text` to `path`.
void writeText(const std::string& path, const std::string& text);
std::string readText(const std::string& path);

}  // namespace shoal::testing
