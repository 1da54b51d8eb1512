// Version and build information, fixed at configure time.
#include "shoal/version.hpp"

namespace shoal {

std::string version() { return SHOAL_VERSION; }
std::string buildType() { return SHOAL_BUILD_TYPE; }

}  // namespace shoal
