// The CLI's flags for the run configuration's keys, put into the library's messages in place of the keys.
#pragma once
#include <exception>
#include <map>
#include <string>

namespace shoal::cli {

// `message` with every quoted configuration key ("optim.lr") replaced by its flag (--lr);
// `overrides` maps keys that a command spells differently (eval's --data-csv).
std::string withFlagNames(const std::string& message,
                          const std::map<std::string, std::string>& overrides = {});
// eval and predict name the set to run on --data-csv.
const std::map<std::string, std::string>& dataCsvFlag();
// What the CLI prints for `error`: a ConfigError's message with flag names, else what().
std::string errorMessage(const std::exception& error,
                         const std::map<std::string, std::string>& overrides = {});

}  // namespace shoal::cli
