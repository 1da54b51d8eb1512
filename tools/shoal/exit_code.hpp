// The exit code an error ends the CLI with: 2 for bad usage or bad input, 1 for anything else.
#pragma once
#include <exception>

namespace shoal::cli {

// 2 for UsageError, InputError and ShapeError (the user can fix the command or the file);
// 1 for every other failure.
int exitCodeFor(const std::exception& error);

}  // namespace shoal::cli
