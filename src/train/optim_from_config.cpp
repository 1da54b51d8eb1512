// Building SGD, Adam or L-BFGS (with a learning-rate schedule) from an OptimConfig.
#include "shoal/train/optim_from_config.hpp"

#include <charconv>
#include <vector>

#include "shoal/error.hpp"
#include "shoal/optim/adam.hpp"
#include "shoal/optim/lbfgs.hpp"
#include "shoal/optim/lr_schedule.hpp"
#include "shoal/optim/sgd.hpp"

namespace shoal::train {
namespace {

[[noreturn]] void badSchedule(const std::string& text, const std::string& what) {
  throw ConfigError("optim.schedule", "\"optim.schedule\" " + text + ": " + what);
}

// "step:2:0.5" -> {"step", 2, 0.5}; each number must parse completely.
std::vector<double> scheduleNumbers(const std::string& text, std::string& kind) {
  std::vector<double> numbers;
  size_t start = text.find(':');
  kind = text.substr(0, start);
  while (start != std::string::npos) {
    size_t end = text.find(':', start + 1);
    std::string field = text.substr(start + 1, end == std::string::npos ? end : end - start - 1);
    double v = 0;
    auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
    if (ec != std::errc() || ptr != field.data() + field.size() || field.empty())
      badSchedule(text, "'" + field + "' is not a number");
    numbers.push_back(v);
    start = end;
  }
  return numbers;
}

std::shared_ptr<optim::LearningRateSchedule> makeSchedule(const OptimConfig& o) {
  std::string kind;
  std::vector<double> n = scheduleNumbers(o.schedule, kind);
  std::shared_ptr<optim::LearningRateSchedule> s;
  auto expect = [&](size_t count, const char* form) {
    if (n.size() != count) badSchedule(o.schedule, std::string("expected ") + form);
  };
  if (kind == "none") {
    expect(0, "none");
  } else if (kind == "step") {
    expect(2, "step:EPOCHS:GAMMA");
    s = std::make_shared<optim::StepSchedule>(static_cast<int64_t>(n[0]), n[1]);
  } else if (kind == "exp") {
    expect(2, "exp:ITERATIONS:RATE");
    s = std::make_shared<optim::ExponentialSchedule>(static_cast<int64_t>(n[0]), n[1]);
  } else if (kind == "poly") {
    expect(2, "poly:POWER:MAX_ITERATIONS");
    s = std::make_shared<optim::PolySchedule>(n[0], static_cast<int64_t>(n[1]));
  } else {
    badSchedule(o.schedule, "unknown schedule '" + kind + "' (none, step, exp, poly)");
  }
  if (o.warmup > 0) s = std::make_shared<optim::WarmupSchedule>(o.warmup, s);
  return s;
}

}  // namespace

std::shared_ptr<optim::OptimMethod> makeOptimMethod(const OptimConfig& o) {
  if (o.lr && *o.lr <= 0) throw ConfigError("optim.lr", "\"optim.lr\" must be positive");
  const OptimConfig defaults;
  if (o.method != "adam" && (o.beta1 != defaults.beta1 || o.beta2 != defaults.beta2 || o.epsilon != defaults.epsilon))
    throw ConfigError("optim.beta1", "\"optim.beta1\", \"optim.beta2\" and \"optim.epsilon\" apply to "
                                     "\"optim.method\" adam only");
  if (o.method == "sgd") {
    return std::make_shared<optim::SGD>(
        optim::SGD::Options{.lr = o.lr.value_or(0.01), .momentum = o.momentum,
                            .dampening = o.dampening, .nesterov = o.nesterov,
                            .weightDecay = o.weightDecay},
        makeSchedule(o));
  }
  if (o.momentum != 0 || o.nesterov || o.dampening != 0)
    throw ConfigError("optim.momentum", "\"optim.momentum\", \"optim.dampening\" and \"optim.nesterov\" "
                                        "apply to \"optim.method\" sgd only");
  if (o.method == "adam")
    return std::make_shared<optim::Adam>(
        optim::Adam::Options{.lr = o.lr.value_or(0.001), .beta1 = o.beta1, .beta2 = o.beta2,
                             .eps = o.epsilon, .weightDecay = o.weightDecay},
        makeSchedule(o));
  if (o.weightDecay != 0 || o.schedule != "none" || o.warmup != 0)
    throw ConfigError("optim.weight_decay", "\"optim.weight_decay\", \"optim.schedule\" and \"optim.warmup\" "
                                            "do not apply to \"optim.method\" lbfgs");
  return std::make_shared<optim::LBFGS>(optim::LBFGS::Options{
      .lr = o.lr.value_or(1.0), .maxIter = static_cast<int>(o.lbfgsIterations),
      .lineSearch = o.lineSearch ? optim::LBFGS::LineSearch::StrongWolfe : optim::LBFGS::LineSearch::None});
}

}  // namespace shoal::train
