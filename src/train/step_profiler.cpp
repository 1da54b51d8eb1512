// Per-layer and per-phase step times, averaged over each epoch, into the epoch record and the log.
#include "shoal/train/step_profiler.hpp"

#include <cstdio>

#include "shoal/nn/model_summary.hpp"

namespace shoal::train {
namespace {

double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

StepProfiler::StepProfiler(nn::Module& model, RunLog& log) : model_(model), log_(log) {
  for (const nn::Child& c : model_.children()) {
    names_.push_back(c.module->label());
    precisions_.push_back(nn::precisionLabel(*c.module));
  }
  times_.clear(names_.size());
}

StepProfiler::~StepProfiler() { model_.setLayerTimes(nullptr); }

// Layers are timed inside steps only, not in validation passes.
void StepProfiler::beforeStep(const TrainState&) {
  model_.setLayerTimes(&times_);
  stepStarted_ = Clock::now();
}

void StepProfiler::afterStep(const TrainState&, RunLog&) {
  Clock::time_point now = Clock::now();
  model_.setLayerTimes(nullptr);
  ++steps_;
  stepSeconds_ += seconds(now - stepStarted_);
  dataSeconds_ += seconds(times_.forwardStarted - stepStarted_);
  criterionSeconds_ += seconds(times_.backwardStarted - times_.forwardEnded);
  optimizerSeconds_ += seconds(now - times_.backwardEnded);
}

void StepProfiler::atEpochEnd(const TrainState& state, nlohmann::json& epochRecord) {
  if (steps_ == 0) return;
  const double perStepMs = 1000.0 / static_cast<double>(steps_);
  const double stepMs = stepSeconds_ * perStepMs;
  auto share = [&](double ms) { return stepMs > 0 ? ms / stepMs : 0.0; };
  nlohmann::json layers = nlohmann::json::array();
  char line[160];
  log_.line("profile of epoch " + std::to_string(state.epoch) + " (ms per step, " +
            std::to_string(steps_) + " steps):");
  std::snprintf(line, sizeof line, "  %-52s %9s %9s %6s  %s", "layer", "forward", "backward",
                "share", "precision");
  log_.line(line);
  double bf16Ms = 0, fp32Ms = 0;  // layer time by what the layers compute in
  for (size_t i = 0; i < names_.size(); ++i) {
    double forwardMs = times_.forwardSeconds[i] * perStepMs;
    double backwardMs = times_.backwardSeconds[i] * perStepMs;
    const std::string& name = names_[i];
    layers.push_back({{"name", name},
                      {"forward_ms", forwardMs},
                      {"backward_ms", backwardMs},
                      {"share", share(forwardMs + backwardMs)},
                      {"precision", precisions_[i]}});
    std::snprintf(line, sizeof line, "  %-52.52s %9.3f %9.3f %5.1f%%  %s", name.c_str(), forwardMs,
                  backwardMs, 100 * share(forwardMs + backwardMs), precisions_[i].c_str());
    log_.line(line);
    (precisions_[i] == "bf16" ? bf16Ms : fp32Ms) += forwardMs + backwardMs;
  }
  std::snprintf(line, sizeof line, "  %-52s %9.3f %9s %5.1f%%", "layers in bf16", bf16Ms, "",
                100 * share(bf16Ms));
  log_.line(line);
  std::snprintf(line, sizeof line, "  %-52s %9.3f %9s %5.1f%%", "layers in fp32 (or mixed)", fp32Ms,
                "", 100 * share(fp32Ms));
  log_.line(line);
  const double dataMs = dataSeconds_ * perStepMs, criterionMs = criterionSeconds_ * perStepMs,
               optimizerMs = optimizerSeconds_ * perStepMs;
  for (auto [what, ms] : {std::pair{"data (batch, zeroing gradients)", dataMs},
                          std::pair{"criterion", criterionMs},
                          std::pair{"optimizer (update, finiteness check)", optimizerMs}}) {
    std::snprintf(line, sizeof line, "  %-52s %9.3f %9s %5.1f%%", what, ms, "", 100 * share(ms));
    log_.line(line);
  }
  std::snprintf(line, sizeof line, "  %-52s %9.3f", "step", stepMs);
  log_.line(line);
  epochRecord["profile"] = {{"layers", layers},
                            {"data_ms", dataMs},
                            {"criterion_ms", criterionMs},
                            {"optimizer_ms", optimizerMs},
                            {"bf16_layers_ms", bf16Ms},
                            {"fp32_layers_ms", fp32Ms},
                            {"step_ms", stepMs}};
  times_.clear(names_.size());
  steps_ = 0;
  stepSeconds_ = dataSeconds_ = criterionSeconds_ = optimizerSeconds_ = 0;
}

}  // namespace shoal::train
