// Device: where a tensor's elements live (host memory only, for now).
#pragma once
#include <string_view>

namespace shoal {

enum class Device { Cpu };

// "cpu".
std::string_view deviceName(Device device);

}  // namespace shoal
