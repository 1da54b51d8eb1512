// Checking, before long work starts, that a directory exists (or can be made) and takes files.
#pragma once
#include <string>

namespace shoal::io {

// Creates `dir` when missing and writes and removes a probe file in it; throws OutputError
// naming the directory and the reason when either fails.
void checkWritableDirectory(const std::string& dir);

}  // namespace shoal::io
