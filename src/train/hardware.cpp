// The compute threads and the hardware description, from the CPU backend.
#include "shoal/train/hardware.hpp"

#include "shoal/backend/cpu_info.hpp"

namespace shoal::train {

void useThreads(int threads) { backend::setThreadCount(threads); }

int computeThreads() { return backend::threadCount(); }

nlohmann::json hardwareDescription() {
  return {{"threads", backend::threadCount()},
          {"isa", backend::instructionSet()},
          {"onednn", backend::oneDnnVersion()}};
}

}  // namespace shoal::train
