// Building SGD, Adam or L-BFGS (with a learning-rate schedule) from the command line.
#include "optim_options.hpp"

#include <charconv>
#include <vector>

#include "shoal/error.hpp"
#include "shoal/optim/adam.hpp"
#include "shoal/optim/lbfgs.hpp"
#include "shoal/optim/lr_schedule.hpp"
#include "shoal/optim/sgd.hpp"

namespace shoal::cli {
namespace {

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
      throw UsageError("--lr-schedule " + text + ": '" + field + "' is not a number");
    numbers.push_back(v);
    start = end;
  }
  return numbers;
}

std::shared_ptr<optim::LearningRateSchedule> makeSchedule(const OptimOptions& o) {
  std::string kind;
  std::vector<double> n = scheduleNumbers(o.schedule, kind);
  std::shared_ptr<optim::LearningRateSchedule> s;
  auto expect = [&](size_t count, const char* form) {
    if (n.size() != count) throw UsageError("--lr-schedule " + o.schedule + ": expected " + form);
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
    throw UsageError("--lr-schedule: unknown schedule '" + kind + "' (none, step, exp, poly)");
  }
  if (o.warmup > 0) s = std::make_shared<optim::WarmupSchedule>(o.warmup, s);
  return s;
}

}  // namespace

void addOptimOptions(CLI::App& app, OptimOptions& o) {
  app.add_option("--optim", o.optim, "Optimisation method: sgd, adam or lbfgs")
      ->check(CLI::IsMember({"sgd", "adam", "lbfgs"}))
      ->capture_default_str();
  app.add_option("--lr", o.lr, "Learning rate (default: sgd 0.01, adam 0.001, lbfgs 1)")
      ->check(CLI::PositiveNumber);
  app.add_option("--momentum", o.momentum, "SGD momentum")->capture_default_str()->check(CLI::Range(0.0, 1.0));
  app.add_option("--dampening", o.dampening, "SGD momentum dampening")->capture_default_str()->check(CLI::Range(0.0, 1.0));
  app.add_flag("--nesterov", o.nesterov, "SGD with Nesterov momentum");
  app.add_option("--weight-decay", o.weightDecay, "L2 weight decay (sgd, adam)")->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--lr-schedule", o.schedule,
                 "Learning-rate schedule: none, step:EPOCHS:GAMMA, exp:ITERATIONS:RATE, "
                 "poly:POWER:MAX_ITERATIONS")
      ->capture_default_str();
  app.add_option("--warmup", o.warmup, "Linear learning-rate warm-up over N iterations")->check(CLI::NonNegativeNumber);
  app.add_option("--lbfgs-iterations", o.lbfgsIterations, "L-BFGS iterations per batch")
      ->capture_default_str()->check(CLI::PositiveNumber);
  app.add_flag("--line-search", o.lineSearch, "L-BFGS with a strong-Wolfe line search");
}

std::shared_ptr<optim::OptimMethod> makeOptimMethod(const OptimOptions& o) {
  if (o.lr && *o.lr <= 0) throw UsageError("--lr must be positive");
  if (o.optim == "sgd") {
    return std::make_shared<optim::SGD>(
        optim::SGD::Options{.lr = o.lr.value_or(0.01), .momentum = o.momentum,
                            .dampening = o.dampening, .nesterov = o.nesterov,
                            .weightDecay = o.weightDecay},
        makeSchedule(o));
  }
  if (o.momentum != 0 || o.nesterov || o.dampening != 0)
    throw UsageError("--momentum, --dampening and --nesterov apply to --optim sgd only");
  if (o.optim == "adam")
    return std::make_shared<optim::Adam>(
        optim::Adam::Options{.lr = o.lr.value_or(0.001), .weightDecay = o.weightDecay},
        makeSchedule(o));
  if (o.weightDecay != 0 || o.schedule != "none" || o.warmup != 0)
    throw UsageError("--weight-decay, --lr-schedule and --warmup do not apply to --optim lbfgs");
  return std::make_shared<optim::LBFGS>(optim::LBFGS::Options{
      .lr = o.lr.value_or(1.0), .maxIter = o.lbfgsIterations,
      .lineSearch = o.lineSearch ? optim::LBFGS::LineSearch::StrongWolfe : optim::LBFGS::LineSearch::None});
}

}  // namespace shoal::cli
