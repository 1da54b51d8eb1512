// Mapping the library's error types to the CLI's exit codes.
#include "exit_code.hpp"

#include "shoal/error.hpp"

namespace shoal::cli {

int exitCodeFor(const std::exception& error) {
  const bool fixable = dynamic_cast<const UsageError*>(&error) || dynamic_cast<const InputError*>(&error) ||
                       dynamic_cast<const ShapeError*>(&error);
  return fixable ? 2 : 1;
}

}  // namespace shoal::cli
