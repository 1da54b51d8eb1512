// Size bounds for fuzzed model specifications, so the fuzzer explores logic instead of allocating.
#pragma once
#include <cstdint>

#include <nlohmann/json.hpp>

namespace shoal::fuzz {

// True when every integer anywhere in `j` lies in [-limit, limit]. With small limits no layer of
// a spec can ask for more than a few million parameters.
inline bool integersWithin(const nlohmann::json& j, int64_t limit) {
  if (j.is_number_unsigned()) return j.get<uint64_t>() <= static_cast<uint64_t>(limit);
  if (j.is_number_integer()) {
    int64_t v = j.get<int64_t>();
    return v >= -limit && v <= limit;
  }
  if (j.is_structured())
    for (const auto& e : j)
      if (!integersWithin(e, limit)) return false;
  return true;
}

// Parameters above which a built model is not run forward (allocation would dominate the time).
inline constexpr int64_t kMaxForwardParameters = 1'000'000;

}  // namespace shoal::fuzz
