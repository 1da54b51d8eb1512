// The compute threads and the hardware a run records (the one place the library asks the backend).
#pragma once
#include <nlohmann/json.hpp>

namespace shoal::train {

// Sets the compute threads (0: all cores).
void useThreads(int threads);
int computeThreads();
// {"threads", "isa", "onednn"}: what the config record says about the machine.
nlohmann::json hardwareDescription();

}  // namespace shoal::train
