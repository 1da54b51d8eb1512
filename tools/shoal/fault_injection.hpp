// Faults that the failure tests inject into one rank of a job, named by SHOAL_INJECT_FAULT.
#pragma once
#include <cstdint>
#include <optional>

#include "shoal/train/optimizer.hpp"

namespace shoal::cli {

// SHOAL_INJECT_FAULT=KIND@RANK:ITERATION: after step ITERATION, rank RANK throws an error
// (throw), stops responding without exiting (stall) or kills itself with SIGKILL (kill).
class FaultInjection : public train::StepObserver {
 public:
  enum class Kind { Throw, Stall, Kill };
  // The fault SHOAL_INJECT_FAULT names for `rank`, if any; UsageError when it is malformed.
  static std::optional<FaultInjection> forRank(int rank);
  void afterStep(const train::TrainState& state, train::RunLog& log) override;

 private:
  FaultInjection(Kind kind, int64_t iteration) : kind_(kind), iteration_(iteration) {}
  Kind kind_;
  int64_t iteration_;
};

}  // namespace shoal::cli
