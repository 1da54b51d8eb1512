// The training loop: shuffled mini-batches, closure-based steps, triggers, validation and logging.
#include "shoal/train/optimizer.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "shoal/data/epoch_order.hpp"
#include "shoal/error.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/train/progress_bar.hpp"

namespace shoal::train {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string formatMetrics(const std::vector<ValidationResult>& results) {
  std::string s;
  for (const auto& r : results) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "  %s %.4f", r.name.c_str(), r.value());
    s += buf;
  }
  return s;
}

}  // namespace

Optimizer::Optimizer(nn::Module& model, const data::Dataset& trainSet,
                     std::shared_ptr<nn::Criterion> criterion,
                     std::shared_ptr<optim::OptimMethod> method, Trigger endWhen, int64_t batchSize)
    : model_(model), trainSet_(trainSet), criterion_(std::move(criterion)),
      method_(std::move(method)), endWhen_(std::move(endWhen)), batchSize_(batchSize) {
  if (batchSize_ <= 0) throw UsageError("batch size must be positive, got " + std::to_string(batchSize_));
  if (trainSet_.size() == 0) throw UsageError("the training set is empty");
  if (!trainSet_.hasLabels()) throw UsageError("training needs labelled data");
}

Optimizer& Optimizer::setValidation(Trigger when, const data::Dataset& data,
                                    std::vector<ValidationMethod> methods, int64_t batchSize) {
  validation_ = Validation{std::move(when), &data, std::move(methods),
                           batchSize > 0 ? batchSize : batchSize_};
  return *this;
}

Optimizer& Optimizer::setSeed(uint64_t seed) {
  seed_ = seed;
  return *this;
}

Optimizer& Optimizer::setRunLog(RunLog* log) {
  log_ = log ? log : &defaultLog_;
  return *this;
}

void Optimizer::validate(const TrainState& state, TrainSummary& summary, nlohmann::json& record) {
  summary.validation = evaluate(model_, *validation_->data, validation_->methods, *criterion_,
                                validation_->batchSize);
  for (const auto& r : summary.validation) record["validation"][r.name] = r.value();
  record["epoch"] = state.epoch;
  record["iteration"] = state.iteration;
}

TrainSummary Optimizer::optimize() {
  nn::FlatParameters& flat = model_.flatParameters();
  data::EpochOrder order(trainSet_.size(), seed_);
  const int64_t batches = order.batchCount(batchSize_, /*dropLast=*/false);
  Tensor input, target;
  const Tensor* output = nullptr;
  optim::Closure closure = [&] {
    flat.zeroGrads();
    output = &model_.forward(input);
    float loss = criterion_->forward(*output, target);
    model_.backward(input, criterion_->backward(*output, target));
    return loss;
  };

  TrainSummary summary;
  TrainState state;
  ProgressBar progress;
  auto start = Clock::now();
  double trainSeconds = 0;
  int64_t trainedSamples = 0;
  model_.train();
  for (bool done = false; !done; ++state.epoch) {
    order.forEpoch(state.epoch - 1);
    method_->setEpoch(state.epoch - 1);
    summary.epochs = state.epoch;
    double lossSum = 0;
    int64_t lossCount = 0, epochSamples = 0;
    double epochSeconds = 0;
    state.epochEnd = false;
    for (int64_t b = 0; b < batches && !done; ++b) {
      auto stepStart = Clock::now();
      trainSet_.gather(order.batch(b, batchSize_), input, target);
      double lr = method_->currentLearningRate();
      float loss = method_->step(flat.values(), flat.grads(), closure);
      epochSeconds += secondsSince(stepStart);
      if (!std::isfinite(loss))
        throw DivergenceError("training diverged: the loss became " + std::to_string(loss) +
                              " at epoch " + std::to_string(state.epoch) + ", iteration " +
                              std::to_string(state.iteration + 1) +
                              " (try a smaller learning rate)");
      ++state.iteration;
      state.loss = loss;
      lossSum += loss;
      ++lossCount;
      epochSamples += input.dim(0);
      log_->iteration(state.epoch, state.iteration, loss, lr);
      progress.update(state.epoch, b + 1, batches, lossSum / lossCount);
      if (validation_ && validation_->when(state)) {
        progress.clear();
        nlohmann::json record{{"type", "validation"}};
        validate(state, summary, record);
        log_->record(record);
        log_->line("  iteration " + std::to_string(state.iteration) + formatMetrics(summary.validation));
        model_.train();
      }
      done = endWhen_(state);
    }
    state.epochEnd = true;
    done = done || endWhen_(state);
    trainSeconds += epochSeconds;
    trainedSamples += epochSamples;
    summary.lastEpochLoss = lossCount ? lossSum / lossCount : 0;
    progress.clear();

    double samplesPerSecond = epochSeconds > 0 ? epochSamples / epochSeconds : 0;
    nlohmann::json record{{"type", "epoch"},
                          {"epoch", state.epoch},
                          {"iteration", state.iteration},
                          {"loss", summary.lastEpochLoss},
                          {"samples_per_sec", samplesPerSecond},
                          {"lr", method_->currentLearningRate()}};
    std::vector<ValidationResult> shown;
    if (validation_ && validation_->when(state)) {
      validate(state, summary, record);
      shown = summary.validation;
      model_.train();
    }
    double elapsed = secondsSince(start);
    record["elapsed_sec"] = elapsed;
    log_->record(record);
    char head[160];
    std::snprintf(head, sizeof head, "epoch %lld  loss %.4f  %.0f samples/s",
                  static_cast<long long>(state.epoch), summary.lastEpochLoss, samplesPerSecond);
    char tail[48];
    std::snprintf(tail, sizeof tail, "  elapsed %.1fs", elapsed);
    log_->line(head + formatMetrics(shown) + tail);
  }
  summary.iterations = state.iteration;
  summary.samplesPerSecond = trainSeconds > 0 ? trainedSamples / trainSeconds : 0;
  model_.evaluate();
  return summary;
}

}  // namespace shoal::train
