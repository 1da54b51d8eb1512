// Learning-rate schedules: step, exponential, polynomial decay and linear warm-up (BigDL's LearningRateSchedule).
#pragma once
#include <cstdint>
#include <memory>

#include <nlohmann/json.hpp>

namespace shoal::optim {

// Maps the base learning rate to the rate of the step at `iteration` (steps taken before it,
// from 0) in `epoch` (from 0).
class LearningRateSchedule {
 public:
  virtual ~LearningRateSchedule();
  virtual double rate(double baseLr, int64_t iteration, int64_t epoch) const = 0;
  // {"name": ..., settings}
  virtual nlohmann::json config() const = 0;
};

// lr * gamma^floor(t / stepSize), t = epoch (perEpoch) or iteration (BigDL's Step / EpochStep).
class StepSchedule : public LearningRateSchedule {
 public:
  StepSchedule(int64_t stepSize, double gamma, bool perEpoch = true);
  double rate(double baseLr, int64_t iteration, int64_t epoch) const override;
  nlohmann::json config() const override;

 private:
  int64_t stepSize_;
  double gamma_;
  bool perEpoch_;
};

// lr * decayRate^(iteration / decayStep), the exponent floored when `staircase` (BigDL's Exponential).
class ExponentialSchedule : public LearningRateSchedule {
 public:
  ExponentialSchedule(int64_t decayStep, double decayRate, bool staircase = false);
  double rate(double baseLr, int64_t iteration, int64_t epoch) const override;
  nlohmann::json config() const override;

 private:
  int64_t decayStep_;
  double decayRate_;
  bool staircase_;
};

// lr * (1 - iteration / maxIteration)^power, and 0 from maxIteration on (BigDL's Poly).
class PolySchedule : public LearningRateSchedule {
 public:
  PolySchedule(double power, int64_t maxIteration);
  double rate(double baseLr, int64_t iteration, int64_t epoch) const override;
  nlohmann::json config() const override;

 private:
  double power_;
  int64_t maxIteration_;
};

// Iterations 0..warmupIterations-1 ramp linearly: lr * (iteration + 1) / warmupIterations, from
// lr / warmupIterations up to lr. Afterwards `after` applies with the iteration counted from the
// end of the warm-up (the constant lr when `after` is null).
class WarmupSchedule : public LearningRateSchedule {
 public:
  explicit WarmupSchedule(int64_t warmupIterations, std::shared_ptr<LearningRateSchedule> after = nullptr);
  double rate(double baseLr, int64_t iteration, int64_t epoch) const override;
  nlohmann::json config() const override;

 private:
  int64_t warmupIterations_;
  std::shared_ptr<LearningRateSchedule> after_;
};

// The rate of a method with base rate `baseLr` and an optional schedule.
double scheduledRate(const LearningRateSchedule* schedule, double baseLr, int64_t iteration, int64_t epoch);

}  // namespace shoal::optim
