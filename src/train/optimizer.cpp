// The training loop: shuffled mini-batches, closure-based steps, triggers, validation and logging.
#include "shoal/train/optimizer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "shoal/data/epoch_order.hpp"
#include "shoal/error.hpp"
#include "shoal/io/writable_directory.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/train/progress_bar.hpp"
#include "shoal/train/rank_results.hpp"

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

// "  comm 4.2% of step time (0.31s, waiting 0.05s; 3.18 MB/step)"
std::string formatComm(const Optimizer::EpochFigures& f, double stepSeconds) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "  comm %.1f%% of step time (%.2fs, waiting %.2fs; %.2f MB/step)",
                stepSeconds > 0 ? 100.0 * f.commSeconds / stepSeconds : 0.0, f.commSeconds,
                f.commWaitSeconds, f.bytesPerStep / 1e6);
  return buf;
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

Optimizer& Optimizer::setShuffle(bool shuffle) {
  shuffle_ = shuffle;
  return *this;
}

Optimizer& Optimizer::setRunLog(RunLog* log) {
  log_ = log ? log : &defaultLog_;
  return *this;
}

Optimizer& Optimizer::setCheckpointing(CheckpointSettings settings, io::ModelInfo info) {
  if (settings.keep < 1) throw UsageError("--keep must be at least 1");
  if (settings.everyIterations < 0) throw UsageError("the checkpoint interval must be positive");
  io::checkWritableDirectory(settings.dir);
  checkpointing_ = std::move(settings);
  checkpointInfo_ = std::move(info);
  return *this;
}

Optimizer& Optimizer::resumeFrom(const io::Checkpoint& checkpoint, const std::string& path) {
  method_->restoreState(checkpoint.optim);
  start_ = TrainPosition::fromJson(checkpoint.trainer);
  seed_ = start_.seed;
  resumedFrom_ = path;
  return *this;
}

Optimizer& Optimizer::setStopCheck(std::function<int()> stopRequested) {
  stopRequested_ = std::move(stopRequested);
  return *this;
}

Optimizer& Optimizer::setDistributed(dist::Synchronizer* sync) {
  sync_ = sync;
  return *this;
}

Optimizer& Optimizer::addObserver(StepObserver* observer) {
  observers_.push_back(observer);
  return *this;
}

void Optimizer::validate(const TrainState& state, TrainSummary& summary, nlohmann::json& record) {
  if (sync_ && !state.epochEnd) sync_->synchronize(model_, *method_);  // epoch ends have synced
  summary.validation = evaluate(model_, *validation_->data, validation_->methods, *criterion_,
                                validation_->batchSize);
  if (sync_) sumAcrossRanks(summary.validation, sync_->comm());
  for (const auto& r : summary.validation) record["validation"][r.name] = r.value();
  record["epoch"] = state.epoch;
  record["iteration"] = state.iteration;
}

std::string Optimizer::writeCheckpoint(const TrainPosition& position) {
  io::Checkpoint c = io::captureModel(model_, checkpointInfo_);
  c.optim = method_->saveState();
  c.trainer = position.toJson();
  return io::writeCheckpoint(checkpointing_->dir, position.iteration, c, checkpointing_->keep);
}

Optimizer::EpochFigures Optimizer::epochFigures(const TrainPosition& at, int64_t stepsBefore,
                                                const dist::CommStats& commBefore) {
  EpochFigures f{.samples = static_cast<double>(at.epochSamples),
                 .loss = at.lossCount ? at.lossSum / at.lossCount : 0};
  if (!sync_) return f;
  const dist::CommStats& now = sync_->comm().stats();
  f.commSeconds = now.seconds - commBefore.seconds;
  f.commWaitSeconds = now.waitSeconds - commBefore.waitSeconds;
  const int64_t steps = at.iteration - stepsBefore;
  f.bytesPerStep = steps > 0 ? (now.bytesSent - commBefore.bytesSent) / steps : 0;
  sync_->synchronize(model_, *method_);
  double totals[2] = {f.samples, f.loss};
  sync_->comm().allReduce(std::span<double>(totals), dist::ReduceOp::Sum);
  f.samples = totals[0];
  if (!sync_->globalLoss()) f.loss = totals[1] / sync_->comm().size();
  return f;
}

TrainSummary Optimizer::optimize() {
  nn::FlatParameters& flat = model_.flatParameters();
  const bool fullBatch = sync_ && sync_->strategy() == dist::Strategy::Lbfgs;
  const int rank = sync_ ? sync_->comm().rank() : 0;
  data::EpochOrder order(trainSet_.size(), seed_, shuffle_);
  int64_t batches = fullBatch ? 1 : order.batchCount(batchSize_, /*dropLast=*/false);
  if (sync_) {  // every rank takes the steps of the smallest shard
    double fewest = static_cast<double>(batches);
    sync_->comm().allReduce(std::span<double>(&fewest, 1), dist::ReduceOp::Min);
    batches = static_cast<int64_t>(fewest);
    sync_->broadcastModel(model_);
  }
  dist::SharedGradients sharedGradients = sync_ ? sync_->shareGradients(flat) : dist::SharedGradients();
  auto localStop = [&] { return stopRequested_ ? stopRequested_() : 0; };
  Tensor input, target, scaledGradOutput;
  const Tensor* output = nullptr;
  optim::Closure closure = [&] {
    flat.discardGrads();  // the backward pass below computes every gradient
    output = &model_.forward(input);
    float loss = criterion_->forward(*output, target);
    model_.backwardParameters(input, criterion_->backward(*output, target));
    return sync_ ? sync_->reduceGradients(flat, loss, input.dim(0), localStop()) : loss;
  };
  // Full batch: the mean loss and gradient over the whole shard, in chunks of the batch size.
  optim::Closure fullBatchClosure = [&] {
    flat.zeroGrads();
    const int64_t n = trainSet_.size();
    const bool mean = criterion_->reduction() == nn::Reduction::Mean;
    double lossSum = 0;
    for (int64_t chunk = 0; chunk * batchSize_ < n; ++chunk) {
      trainSet_.gather(order.batch(chunk, batchSize_), input, target);
      const double weight = mean ? static_cast<double>(input.dim(0)) / n : 1.0;
      output = &model_.forward(input);
      lossSum += criterion_->forward(*output, target) * weight;
      const Tensor& gradOutput = criterion_->backward(*output, target);
      scaledGradOutput.resize(gradOutput.shape());
      for (int64_t i = 0; i < gradOutput.numel(); ++i)
        scaledGradOutput[i] = gradOutput[i] * static_cast<float>(weight);
      model_.backwardParameters(input, scaledGradOutput);
    }
    return sync_->reduceGradients(flat, static_cast<float>(lossSum), n, localStop());
  };

  if (resumedFrom_) {
    nlohmann::json record{{"type", "resume"}, {"iteration", start_.iteration}, {"epoch", start_.epoch}};
    if (!resumedFrom_->empty()) record["checkpoint"] = *resumedFrom_;
    log_->record(record);
    resumedFrom_.reset();
  }
  TrainSummary summary;
  TrainPosition at = start_;
  at.seed = seed_;
  TrainState state{.epoch = at.epoch, .iteration = at.iteration};
  ProgressBar progress;
  auto started = Clock::now();
  auto elapsed = [&] { return at.elapsedSeconds + secondsSince(started); };
  auto diverged = [&](const std::string& what) {
    throw DivergenceError("training diverged: " + what + " at epoch " + std::to_string(state.epoch) +
                          ", iteration " + std::to_string(state.iteration + 1) +
                          " (try a smaller learning rate); " +
                          (summary.lastCheckpoint.empty()
                               ? std::string("no checkpoint was written")
                               : "last good checkpoint: " + summary.lastCheckpoint));
  };
  int64_t checkpointedAt = -1;  // iteration of the newest checkpoint
  auto checkpoint = [&](TrainPosition position) {
    if (checkpointedAt == position.iteration) return;
    if (sync_) sync_->synchronize(model_, *method_);
    if (!std::isfinite(flat.values().sum())) diverged("a weight became infinite or NaN");
    position.elapsedSeconds = elapsed();
    if (rank == 0) summary.lastCheckpoint = writeCheckpoint(position);
    checkpointedAt = position.iteration;
  };
  model_.train();
  for (bool done = false; !done; ++at.epoch, at.batch = 0) {
    const int64_t stepsBefore = at.iteration;
    const dist::CommStats commBefore = sync_ ? sync_->comm().stats() : dist::CommStats{};
    state.epoch = at.epoch;
    order.forEpoch(at.epoch - 1);
    method_->setEpoch(at.epoch - 1);
    summary.epochs = at.epoch;
    state.epochEnd = false;
    if (at.batch == 0) at.lossSum = 0, at.lossCount = 0, at.epochSamples = 0, at.epochSeconds = 0;
    while (at.batch < batches && !done) {
      for (StepObserver* o : observers_) o->beforeStep(state);
      auto stepStart = Clock::now();
      if (!fullBatch) trainSet_.gather(order.batch(at.batch, batchSize_), input, target);
      double lr = method_->currentLearningRate();
      float loss = method_->step(flat.values(), flat.grads(), fullBatch ? fullBatchClosure : closure);
      if (sync_) sync_->afterStep(flat, *method_, at.iteration + 1, localStop());
      at.epochSeconds += secondsSince(stepStart);
      if (!std::isfinite(loss)) diverged("the loss became " + std::to_string(loss));
      if (!method_->lastGradientsFinite(flat.grads()))
        diverged("a gradient became infinite or NaN");
      state.iteration = ++at.iteration;
      ++at.batch;
      state.loss = loss;
      at.lossSum += loss;
      ++at.lossCount;
      at.epochSamples += fullBatch ? trainSet_.size() : input.dim(0);
      log_->iteration(state.epoch, state.iteration, loss, lr);
      for (StepObserver* o : observers_) o->afterStep(state, *log_);
      progress.update(state.epoch, at.batch, batches, at.lossSum / at.lossCount);
      if (validation_ && validation_->when(state)) {
        progress.clear();
        nlohmann::json record{{"type", "validation"}};
        validate(state, summary, record);
        log_->record(record);
        log_->line("  iteration " + std::to_string(state.iteration) + formatMetrics(summary.validation));
        model_.train();
      }
      done = endWhen_(state);
      summary.stoppedBySignal = sync_ ? sync_->agreedStopSignal(localStop()) : localStop();
      if (checkpointing_ && checkpointing_->everyIterations > 0 &&
          at.iteration % checkpointing_->everyIterations == 0)
        checkpoint(at);
      if (summary.stoppedBySignal) break;
    }
    bool midEpoch = at.batch < batches;
    if (midEpoch && checkpointing_) checkpoint(at);  // stopped by a signal or an end trigger
    if (midEpoch && summary.stoppedBySignal) {
      if (sync_ && !checkpointing_) sync_->synchronize(model_, *method_);
      break;
    }
    state.epochEnd = true;
    done = done || endWhen_(state);
    EpochFigures figures = epochFigures(at, stepsBefore, commBefore);
    at.trainSeconds += at.epochSeconds;
    at.trainedSamples += figures.samples;
    summary.lastEpochLoss = figures.loss;
    progress.clear();

    double samplesPerSecond = at.epochSeconds > 0 ? figures.samples / at.epochSeconds : 0;
    nlohmann::json record{{"type", "epoch"},
                          {"epoch", state.epoch},
                          {"iteration", state.iteration},
                          {"loss", summary.lastEpochLoss},
                          {"samples_per_sec", samplesPerSecond},
                          {"lr", method_->currentLearningRate()}};
    if (sync_) {
      record["ranks"] = sync_->comm().size();
      record["comm_sec"] = figures.commSeconds;
      record["comm_wait_sec"] = figures.commWaitSeconds;
      record["comm_share"] = at.epochSeconds > 0 ? figures.commSeconds / at.epochSeconds : 0;
      record["bytes_per_step"] = figures.bytesPerStep;
    }
    std::vector<ValidationResult> shown;
    if (validation_ && validation_->when(state)) {
      validate(state, summary, record);
      shown = summary.validation;
      model_.train();
    }
    record["elapsed_sec"] = elapsed();
    for (StepObserver* o : observers_) o->atEpochEnd(state, record);
    log_->record(record);
    char head[160];
    std::snprintf(head, sizeof head, "epoch %lld  loss %.4f  %.0f samples/s",
                  static_cast<long long>(state.epoch), summary.lastEpochLoss, samplesPerSecond);
    char tail[48];
    std::snprintf(tail, sizeof tail, "  elapsed %.1fs", elapsed());
    log_->line(head + formatMetrics(shown) + (sync_ ? formatComm(figures, at.epochSeconds) : std::string()) + tail);
    bool last = done || summary.stoppedBySignal;
    if (checkpointing_ && !midEpoch && (checkpointing_->everyIterations == 0 || last)) {
      TrainPosition next = at;  // the next epoch from its first batch
      ++next.epoch;
      next.batch = 0;
      checkpoint(next);
    }
    if (summary.stoppedBySignal) break;
  }
  summary.iterations = state.iteration;
  summary.samplesPerSecond = at.trainSeconds > 0 ? at.trainedSamples / at.trainSeconds : 0;
  model_.evaluate();
  return summary;
}

nlohmann::json TrainPosition::toJson() const {
  return {{"epoch", epoch},
          {"batch", batch},
          {"iteration", iteration},
          {"loss_sum", lossSum},
          {"loss_count", lossCount},
          {"epoch_samples", epochSamples},
          {"epoch_seconds", epochSeconds},
          {"train_seconds", trainSeconds},
          {"trained_samples", trainedSamples},
          {"elapsed_seconds", elapsedSeconds},
          {"seed", seed}};
}

TrainPosition TrainPosition::fromJson(const nlohmann::json& j) {
  try {
    TrainPosition p;
    p.epoch = j.at("epoch").get<int64_t>();
    p.batch = j.at("batch").get<int64_t>();
    p.iteration = j.at("iteration").get<int64_t>();
    p.lossSum = j.at("loss_sum").get<double>();
    p.lossCount = j.at("loss_count").get<int64_t>();
    p.epochSamples = j.at("epoch_samples").get<int64_t>();
    p.epochSeconds = j.at("epoch_seconds").get<double>();
    p.trainSeconds = j.at("train_seconds").get<double>();
    p.trainedSamples = j.at("trained_samples").get<int64_t>();
    p.elapsedSeconds = j.at("elapsed_seconds").get<double>();
    p.seed = j.at("seed").get<uint64_t>();
    if (p.epoch < 1 || p.batch < 0 || p.iteration < 0) throw Error("negative position");
    return p;
  } catch (const std::exception& e) {
    throw InputError(std::string("checkpoint: invalid trainer position: ") + e.what());
  }
}

}  // namespace shoal::train
