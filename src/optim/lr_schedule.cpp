// Learning-rate schedules: rate formulas, argument checks and JSON descriptions.
#include "shoal/optim/lr_schedule.hpp"

#include <cmath>
#include <string>

#include "shoal/error.hpp"

namespace shoal::optim {
namespace {

void requirePositive(int64_t value, const char* schedule, const char* what) {
  if (value <= 0)
    throw UsageError(std::string(schedule) + ": " + what + " must be positive, got " + std::to_string(value));
}

}  // namespace

LearningRateSchedule::~LearningRateSchedule() = default;

double scheduledRate(const LearningRateSchedule* schedule, double baseLr, int64_t iteration, int64_t epoch) {
  return schedule ? schedule->rate(baseLr, iteration, epoch) : baseLr;
}

StepSchedule::StepSchedule(int64_t stepSize, double gamma, bool perEpoch)
    : stepSize_(stepSize), gamma_(gamma), perEpoch_(perEpoch) {
  requirePositive(stepSize, "StepSchedule", "step size");
}

double StepSchedule::rate(double baseLr, int64_t iteration, int64_t epoch) const {
  int64_t t = perEpoch_ ? epoch : iteration;
  return baseLr * std::pow(gamma_, static_cast<double>(t / stepSize_));
}

nlohmann::json StepSchedule::config() const {
  return {{"name", "step"}, {"stepSize", stepSize_}, {"gamma", gamma_}, {"perEpoch", perEpoch_}};
}

ExponentialSchedule::ExponentialSchedule(int64_t decayStep, double decayRate, bool staircase)
    : decayStep_(decayStep), decayRate_(decayRate), staircase_(staircase) {
  requirePositive(decayStep, "ExponentialSchedule", "decay step");
}

double ExponentialSchedule::rate(double baseLr, int64_t iteration, int64_t) const {
  double exponent = static_cast<double>(iteration) / static_cast<double>(decayStep_);
  if (staircase_) exponent = std::floor(exponent);
  return baseLr * std::pow(decayRate_, exponent);
}

nlohmann::json ExponentialSchedule::config() const {
  return {{"name", "exponential"}, {"decayStep", decayStep_}, {"decayRate", decayRate_}, {"staircase", staircase_}};
}

PolySchedule::PolySchedule(double power, int64_t maxIteration) : power_(power), maxIteration_(maxIteration) {
  requirePositive(maxIteration, "PolySchedule", "maximum iteration");
  if (!(power >= 0)) throw UsageError("PolySchedule: power must be non-negative, got " + std::to_string(power));
}

double PolySchedule::rate(double baseLr, int64_t iteration, int64_t) const {
  if (iteration >= maxIteration_) return 0.0;
  return baseLr * std::pow(1.0 - static_cast<double>(iteration) / static_cast<double>(maxIteration_), power_);
}

nlohmann::json PolySchedule::config() const {
  return {{"name", "poly"}, {"power", power_}, {"maxIteration", maxIteration_}};
}

WarmupSchedule::WarmupSchedule(int64_t warmupIterations, std::shared_ptr<LearningRateSchedule> after)
    : warmupIterations_(warmupIterations), after_(std::move(after)) {
  requirePositive(warmupIterations, "WarmupSchedule", "warm-up iterations");
}

double WarmupSchedule::rate(double baseLr, int64_t iteration, int64_t epoch) const {
  if (iteration < warmupIterations_)
    return baseLr * static_cast<double>(iteration + 1) / static_cast<double>(warmupIterations_);
  return scheduledRate(after_.get(), baseLr, iteration - warmupIterations_, epoch);
}

nlohmann::json WarmupSchedule::config() const {
  return {{"name", "warmup"},
          {"warmupIterations", warmupIterations_},
          {"after", after_ ? after_->config() : nlohmann::json(nullptr)}};
}

}  // namespace shoal::optim
