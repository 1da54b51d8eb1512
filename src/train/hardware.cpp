// The compute threads and the hardware description, from the CPU backend.
#include "shoal/train/hardware.hpp"

#include "shoal/backend/cpu/engine.hpp"

namespace shoal::train {

void useThreads(int threads) { backend::cpu::setThreadCount(threads); }

int computeThreads() { return backend::cpu::threadCount(); }

nlohmann::json hardwareDescription() {
  return {{"threads", backend::cpu::threadCount()},
          {"isa", backend::cpu::instructionSet()},
          {"onednn", backend::cpu::dnnlVersion()}};
}

}  // namespace shoal::train
