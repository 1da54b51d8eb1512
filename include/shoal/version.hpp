// Version and build information of the shoal library.
#pragma once
#include <string>

namespace shoal {

std::string version();    // "0.1.0"
std::string buildType();  // "Release"

}  // namespace shoal
