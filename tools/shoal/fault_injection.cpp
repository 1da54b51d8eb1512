// Parsing SHOAL_INJECT_FAULT and making the named rank fail on cue.
#include "fault_injection.hpp"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <string>
#include <thread>

#include "shoal/error.hpp"

namespace shoal::cli {

std::optional<FaultInjection> FaultInjection::forRank(int rank) {
  const char* spec = std::getenv("SHOAL_INJECT_FAULT");
  if (!spec || !*spec) return std::nullopt;
  char kind[16] = {};
  int faultRank = -1;
  long long iteration = 0;
  int consumed = 0;
  if (std::sscanf(spec, "%15[a-z]@%d:%lld%n", kind, &faultRank, &iteration, &consumed) != 3 ||
      spec[consumed] != '\0' || faultRank < 0 || iteration < 1)
    throw UsageError(std::string("SHOAL_INJECT_FAULT: expected KIND@RANK:ITERATION, got '") + spec + "'");
  const std::string k = kind;
  Kind parsed = k == "throw" ? Kind::Throw : k == "stall" ? Kind::Stall : Kind::Kill;
  if (k != "throw" && k != "stall" && k != "kill")
    throw UsageError("SHOAL_INJECT_FAULT: the kind must be throw, stall or kill, got '" + k + "'");
  if (faultRank != rank) return std::nullopt;
  return FaultInjection(parsed, iteration);
}

void FaultInjection::afterStep(const train::TrainState& state, train::RunLog&) {
  if (state.iteration != iteration_) return;
  switch (kind_) {
    case Kind::Throw:
      throw Error("injected fault (SHOAL_INJECT_FAULT) after iteration " + std::to_string(iteration_));
    case Kind::Stall:
      for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
    case Kind::Kill:
      std::raise(SIGKILL);
  }
}

}  // namespace shoal::cli
