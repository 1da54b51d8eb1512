// Formatting of positioned input errors and configuration errors.
#include "shoal/error.hpp"

namespace shoal {

InputError InputError::at(const std::string& path, long line, long column, const std::string& what) {
  std::string where = path;
  for (long position : {line, column}) {
    if (position <= 0) break;
    where.push_back(':');
    where.append(std::to_string(position));
  }
  where.append(": ").append(what);
  return InputError(where);
}

ConfigError::ConfigError(std::string key, std::string message)
    : UsageError(std::string("run config: ").append(message)), key_(std::move(key)),
      message_(std::move(message)) {}

}  // namespace shoal
