// The training loop: an epoch of steps, each step's bookkeeping, an epoch's end, validation and checkpoints.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "shoal/data/epoch_order.hpp"
#include "shoal/error.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/train/optimizer.hpp"
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

// "  comm 4.2% of step time (0.31s, waiting 0.05s; 3.18 MB/step)", with "; density 1.0%" and
// "; hidden 63%" for a bucketed exchange
std::string formatComm(const Optimizer::EpochFigures& f, double stepSeconds) {
  char buf[192];
  int n = std::snprintf(buf, sizeof buf, "  comm %.1f%% of step time (%.2fs, waiting %.2fs; %.2f MB/step",
                        stepSeconds > 0 ? 100.0 * f.commSeconds / stepSeconds : 0.0, f.commSeconds,
                        f.commWaitSeconds, f.bytesPerStep / 1e6);
  if (f.density >= 0) n += std::snprintf(buf + n, sizeof buf - n, "; density %.2f%%", 100.0 * f.density);
  if (f.hiddenShare >= 0) n += std::snprintf(buf + n, sizeof buf - n, "; hidden %.0f%%", 100.0 * f.hiddenShare);
  std::snprintf(buf + n, sizeof buf - n, ")");
  return buf;
}

}  // namespace

// What one optimize() call carries from step to step.
struct Optimizer::Loop {
  Loop(Optimizer& o)
      : flat(o.model_.flatParameters()), order(o.trainSet_.size(), o.seed_, o.shuffle_, o.trainSet_.shuffleBlock()),
        fullBatch(o.strategy_->fullBatch()), rank(o.strategy_->comm().rank()) {
    batches = fullBatch ? 1 : order.batchCount(o.batchSize_, /*dropLast=*/false);
    double fewest = static_cast<double>(batches);  // every rank takes the steps of the smallest shard
    o.strategy_->comm().allReduce(std::span<double>(&fewest, 1), dist::ReduceOp::Min);
    batches = static_cast<int64_t>(fewest);
    o.strategy_->broadcastModel(o.model_);
    // bf16 precision: the copy follows the loaded, restored or broadcast values, and the
    // method's update pass keeps it current from here.
    flat.refreshLowPrecisionCopy();
    o.method_->setLowPrecisionCopy(flat.hasLowPrecisionCopy() ? &flat.lowPrecisionValues() : nullptr);
    refreshCopyPerEvaluation = flat.hasLowPrecisionCopy() && !o.method_->writesLowPrecisionCopy();
    // a model whose first products read bf16 gets its batches gathered straight into bf16
    input = o.model_.inputBuffer();
    sharedGradients = o.strategy_->shareGradients(flat);
    if (!fullBatch) watch.watch(*o.strategy_, o.model_);
    restoreExchange(o);
    closure = [&o, this] { return fullBatch ? o.fullBatchLoss(*this) : o.miniBatchLoss(*this); };
    at = o.start_;
    at.seed = o.seed_;
    state = TrainState{.epoch = at.epoch, .iteration = at.iteration};
  }
  double elapsed() const { return at.elapsedSeconds + secondsSince(started); }

  // The resumed checkpoint's gradient exchange state (threshold's residuals) back, once.
  void restoreExchange(Optimizer& o) const {
    const std::string note =
        o.strategy_->restoreExchangeState(o.resumedExchange_, o.resumedFrom_ ? *o.resumedFrom_ : "the checkpoint");
    o.resumedExchange_ = {};
    if (!note.empty() && rank == 0) std::fprintf(stderr, "shoal: warning: %s\n", note.c_str());
  }

  // The strategy listens to backward (overlap) while the loop runs.
  struct BackwardWatch {
    dist::TrainingStrategy* strategy = nullptr;
    void watch(dist::TrainingStrategy& s, nn::Module& model) {
      s.watchBackward(model);
      strategy = &s;
    }
    ~BackwardWatch() {
      if (strategy) strategy->unwatchBackward();
    }
  };

  nn::FlatParameters& flat;
  data::EpochOrder order;
  const bool fullBatch;
  const int rank;
  bool refreshCopyPerEvaluation = false;  // the method moves the values without the bf16 copy
  int64_t batches = 0;
  dist::SharedGradients sharedGradients;
  BackwardWatch watch;  // after sharedGradients: ends first
  optim::Closure closure;
  Tensor input, target, scaledGradOutput;
  TrainSummary summary;
  TrainPosition at;
  TrainState state;
  ProgressBar progress;
  Clock::time_point started = Clock::now();
  int64_t checkpointedAt = -1;  // iteration of the newest checkpoint
  bool done = false;            // the end trigger fired
  int64_t stepsBefore = 0;      // iterations before this epoch
  dist::CommStats commBefore;   // communication before this epoch
  dist::ExchangeStats exchangeBefore;  // gradient exchange before this epoch
};

TrainSummary Optimizer::optimize() {
  Loop loop(*this);
  early_.reset();
  if (earlySettings_) {
    if (!validation_) throw UsageError("early stopping needs a validation set (setValidation)");
    early_.emplace(*earlySettings_, validation_->methods);
    if (resumedEarly_)
      early_->restore(*resumedEarly_, model_, resumedFrom_ && !resumedFrom_->empty() ? *resumedFrom_ : "the checkpoint");
  }
  recordResume();
  model_.train();
  // a run resumed from the checkpoint its early stopping ended with has nothing left to train
  bool more = !(early_ && early_->exhausted());
  loop.summary.stoppedEarly = !more;
  while (more) {
    beginEpoch(loop);
    while (loop.at.batch < loop.batches && !loop.done && !loop.summary.stoppedBySignal) {
      takeStep(loop);
      afterStep(loop);
    }
    more = finishEpoch(loop);
  }
  restoreBestWeights(loop);
  loop.summary.iterations = loop.state.iteration;
  loop.summary.samplesPerSecond = loop.at.trainSeconds > 0 ? loop.at.trainedSamples / loop.at.trainSeconds : 0;
  model_.evaluate();
  return loop.summary;
}

void Optimizer::recordResume() {
  if (!resumedFrom_) return;
  nlohmann::json record{{"type", "resume"}, {"iteration", start_.iteration}, {"epoch", start_.epoch}};
  if (!resumedFrom_->empty()) record["checkpoint"] = *resumedFrom_;
  log_->record(record);
  resumedFrom_.reset();
}

void Optimizer::beginEpoch(Loop& l) {
  TrainPosition& at = l.at;
  l.stepsBefore = at.iteration;
  l.commBefore = strategy_->comm().stats();
  l.exchangeBefore = strategy_->exchangeStats();
  l.state.epoch = at.epoch;
  l.order.forEpoch(at.epoch - 1);
  method_->setEpoch(at.epoch - 1);
  l.summary.epochs = at.epoch;
  l.state.epochEnd = false;
  if (at.batch == 0) at.lossSum = 0, at.lossCount = 0, at.epochSamples = 0, at.epochSeconds = 0;
}

// One optimiser step on the next batch, and its bookkeeping: position, log, observers, progress.
void Optimizer::takeStep(Loop& l) {
  TrainPosition& at = l.at;
  for (StepObserver* o : observers_) o->beforeStep(l.state);
  auto stepStart = Clock::now();
  if (!l.fullBatch) trainSet_.gather(l.order.batch(at.batch, batchSize_), l.input, l.target);
  double lr = method_->currentLearningRate();
  float loss = strategy_->step(*method_, l.flat, l.closure);
  strategy_->afterStep(l.flat, *method_, at.iteration + 1, stopRequested());
  at.epochSeconds += secondsSince(stepStart);
  if (!std::isfinite(loss)) diverged(l, "the loss became " + std::to_string(loss));
  if (!method_->lastGradientsFinite(l.flat.grads())) diverged(l, "a gradient became infinite or NaN");
  l.state.iteration = ++at.iteration;
  ++at.batch;
  l.state.loss = loss;
  at.lossSum += loss;
  ++at.lossCount;
  at.epochSamples += l.fullBatch ? trainSet_.size() : l.input.dim(0);
  log_->iteration(l.state.epoch, l.state.iteration, loss, lr);
  for (StepObserver* o : observers_) o->afterStep(l.state, *log_);
  l.progress.update(l.state.epoch, at.batch, l.batches, at.lossSum / at.lossCount);
}

// The loss and gradient of the batch in l.input.
float Optimizer::miniBatchLoss(Loop& l) {
  if (l.refreshCopyPerEvaluation) l.flat.refreshLowPrecisionCopy();
  l.flat.discardGrads();  // the backward pass below computes every gradient
  const Tensor& output = model_.forward(l.input);
  float loss = criterion_->forward(output, l.target);
  strategy_->beginBackward(loss, l.input.dim(0), stopRequested());
  model_.backwardParameters(l.input, criterion_->backward(output, l.target));
  return strategy_->reduceGradients(l.flat, loss, l.input.dim(0), stopRequested());
}

// The mean loss and gradient over the whole shard, in chunks of the batch size.
float Optimizer::fullBatchLoss(Loop& l) {
  if (l.refreshCopyPerEvaluation) l.flat.refreshLowPrecisionCopy();
  l.flat.zeroGrads();
  const int64_t n = trainSet_.size();
  const bool mean = criterion_->reduction() == nn::Reduction::Mean;
  double lossSum = 0;
  for (int64_t chunk = 0; chunk * batchSize_ < n; ++chunk) {
    trainSet_.gather(l.order.batch(chunk, batchSize_), l.input, l.target);
    const double weight = mean ? static_cast<double>(l.input.dim(0)) / n : 1.0;
    const Tensor& output = model_.forward(l.input);
    lossSum += criterion_->forward(output, l.target) * weight;
    const Tensor& gradOutput = criterion_->backward(output, l.target);
    l.scaledGradOutput.resize(gradOutput.shape());
    for (int64_t i = 0; i < gradOutput.numel(); ++i)
      l.scaledGradOutput[i] = gradOutput[i] * static_cast<float>(weight);
    model_.backwardParameters(l.input, l.scaledGradOutput);
  }
  return strategy_->reduceGradients(l.flat, static_cast<float>(lossSum), n, stopRequested());
}

// After a step: validation when due, the end trigger, a stop request, a checkpoint when due.
void Optimizer::afterStep(Loop& l) {
  if (validation_ && validation_->when(l.state)) {
    l.progress.clear();
    nlohmann::json record{{"type", "validation"}};
    validate(l.state, l.summary, record);
    log_->record(record);
    log_->line("  iteration " + std::to_string(l.state.iteration) + formatMetrics(l.summary.validation));
    model_.train();
    watchValidation(l, record);
  }
  l.done = l.done || endWhen_(l.state);
  l.summary.stoppedBySignal = strategy_->agreedStopSignal(stopRequested());
  if (checkpointing_ && checkpointing_->everyIterations > 0 &&
      l.at.iteration % checkpointing_->everyIterations == 0)
    checkpoint(l, l.at);
}

bool Optimizer::finishEpoch(Loop& l) {
  const bool midEpoch = l.at.batch < l.batches, stopped = l.summary.stoppedBySignal != 0;
  if (midEpoch && checkpointing_) checkpoint(l, l.at);  // stopped by a signal or an end trigger
  if (midEpoch && stopped) {
    if (!checkpointing_) strategy_->synchronize(model_, *method_);
    return false;
  }
  l.state.epochEnd = true;
  l.done = l.done || endWhen_(l.state);
  EpochFigures figures = epochFigures(l.at, l.stepsBefore, l.commBefore, l.exchangeBefore);
  l.at.trainSeconds += l.at.epochSeconds;
  l.at.trainedSamples += figures.samples;
  l.summary.lastEpochLoss = figures.loss;
  l.progress.clear();
  recordEpoch(l, figures);
  // A stop asked for at the epoch's end (by an observer, a front end's callback) ends it here.
  if (!stopped) l.summary.stoppedBySignal = strategy_->agreedStopSignal(stopRequested());
  const bool last = l.done || l.summary.stoppedBySignal != 0;
  if (checkpointing_ && !midEpoch && (checkpointing_->everyIterations == 0 || last)) {
    TrainPosition next = l.at;  // the next epoch from its first batch
    ++next.epoch;
    next.batch = 0;
    checkpoint(l, next);
  }
  if (last) return false;
  ++l.at.epoch;
  l.at.batch = 0;
  return true;
}

// The epoch record (with validation when due) and the epoch's line.
void Optimizer::recordEpoch(Loop& l, const EpochFigures& figures) {
  const double seconds = l.at.epochSeconds;
  const double samplesPerSecond = seconds > 0 ? figures.samples / seconds : 0;
  nlohmann::json record{{"type", "epoch"},
                        {"epoch", l.state.epoch},
                        {"iteration", l.state.iteration},
                        {"loss", l.summary.lastEpochLoss},
                        {"samples_per_sec", samplesPerSecond},
                        {"lr", method_->currentLearningRate()}};
  if (strategy_->reportsCommunication()) {
    record["ranks"] = strategy_->comm().size();
    record["comm_sec"] = figures.commSeconds;
    record["comm_wait_sec"] = figures.commWaitSeconds;
    record["comm_share"] = seconds > 0 ? figures.commSeconds / seconds : 0;
    record["bytes_per_step"] = figures.bytesPerStep;
    if (figures.density >= 0) record["density"] = figures.density;
    if (figures.hiddenShare >= 0) record["hidden_share"] = figures.hiddenShare;
  }
  std::vector<ValidationResult> shown;
  if (validation_ && validation_->when(l.state)) {
    validate(l.state, l.summary, record);
    shown = l.summary.validation;
    model_.train();
    watchValidation(l, record);
  }
  record["elapsed_sec"] = l.elapsed();
  for (StepObserver* o : observers_) o->atEpochEnd(l.state, record);
  log_->record(record);
  char head[160];
  std::snprintf(head, sizeof head, "epoch %lld  loss %.4f  %.0f samples/s",
                static_cast<long long>(l.state.epoch), l.summary.lastEpochLoss, samplesPerSecond);
  char tail[48];
  std::snprintf(tail, sizeof tail, "  elapsed %.1fs", l.elapsed());
  log_->line(head + formatMetrics(shown) +
             (strategy_->reportsCommunication() ? formatComm(figures, seconds) : std::string()) + tail);
}

Optimizer::EpochFigures Optimizer::epochFigures(const TrainPosition& at, int64_t stepsBefore,
                                                const dist::CommStats& commBefore,
                                                const dist::ExchangeStats& exchangeBefore) {
  EpochFigures f{.samples = static_cast<double>(at.epochSamples),
                 .loss = at.lossCount ? at.lossSum / at.lossCount : 0};
  dist::Communicator& comm = strategy_->comm();
  const dist::CommStats& now = comm.stats();
  f.commSeconds = now.seconds - commBefore.seconds;
  f.commWaitSeconds = now.waitSeconds - commBefore.waitSeconds;
  const int64_t steps = at.iteration - stepsBefore;
  f.bytesPerStep = steps > 0 ? (now.bytesSent - commBefore.bytesSent) / steps : 0;
  const dist::ExchangeStats exchange = strategy_->exchangeStats();
  const double offered = exchange.offeredElements - exchangeBefore.offeredElements;
  const double exchangeSeconds = exchange.commSeconds - exchangeBefore.commSeconds;
  if (offered > 0) {
    f.density = (exchange.sentElements - exchangeBefore.sentElements) / offered;
    const double exposed = exchange.exposedSeconds - exchangeBefore.exposedSeconds;
    f.hiddenShare = exchangeSeconds > 0 ? std::max(0.0, exchangeSeconds - exposed) / exchangeSeconds : 0;
  }
  strategy_->synchronize(model_, *method_);
  double totals[2] = {f.samples, f.loss};
  comm.allReduce(std::span<double>(totals), dist::ReduceOp::Sum);
  f.samples = totals[0];
  if (!strategy_->globalLoss()) f.loss = totals[1] / comm.size();
  return f;
}

void Optimizer::validate(const TrainState& state, TrainSummary& summary, nlohmann::json& record) {
  if (!state.epochEnd) strategy_->synchronize(model_, *method_);  // epoch ends have synced
  summary.validation = evaluate(model_, *validation_->data, validation_->methods, *criterion_,
                                validation_->batchSize, &strategy_->comm());
  for (const auto& r : summary.validation) {
    record["validation"][r.name] = r.value();
    if (!r.perClass.empty()) record["validation_per_class"][r.name] = r.perClass;
  }
  record["epoch"] = state.epoch;
  record["iteration"] = state.iteration;
}

void Optimizer::watchValidation(Loop& l, nlohmann::json& record) {
  if (!early_ || l.summary.stoppedEarly) return;
  const bool stop = early_->observe(l.summary.validation, l.state.epoch, l.state.iteration, model_);
  record["early_stopping"] = {{"metric", early_->metric()}, {"best", early_->best()},
                              {"best_epoch", early_->bestEpoch()}, {"stale", early_->stale()}};
  if (!stop) return;
  l.summary.stoppedEarly = l.done = true;
  log_->line("early stopping: " + early_->describeStop());
}

void Optimizer::restoreBestWeights(Loop& l) {
  if (!early_ || l.summary.stoppedBySignal) return;
  l.summary.bestEpoch = early_->bestEpoch();
  if (!early_->restoreBest(model_)) return;
  char line[128];
  std::snprintf(line, sizeof line, "restored the weights of epoch %lld, iteration %lld (%s %.4f)",
                static_cast<long long>(early_->bestEpoch()), static_cast<long long>(early_->bestIteration()),
                early_->metric().c_str(), early_->best());
  log_->line(line);
  log_->record({{"type", "restore_best"}, {"epoch", early_->bestEpoch()}, {"iteration", early_->bestIteration()},
                {"metric", early_->metric()}, {"value", early_->best()}});
}

void Optimizer::checkpoint(Loop& l, TrainPosition position) {
  if (l.checkpointedAt == position.iteration) return;
  strategy_->synchronize(model_, *method_);
  if (!std::isfinite(l.flat.values().sum())) diverged(l, "a weight became infinite or NaN");
  position.elapsedSeconds = l.elapsed();
  dist::ExchangeState exchange = strategy_->saveExchangeState();  // collective
  if (l.rank == 0) l.summary.lastCheckpoint = writeCheckpoint(position, std::move(exchange));
  l.checkpointedAt = position.iteration;
}

void Optimizer::diverged(const Loop& l, const std::string& what) const {
  throw DivergenceError("training diverged: " + what + " at epoch " + std::to_string(l.state.epoch) +
                        ", iteration " + std::to_string(l.state.iteration + 1) +
                        " (try a smaller learning rate); " +
                        (l.summary.lastCheckpoint.empty()
                             ? std::string("no checkpoint was written")
                             : "last good checkpoint: " + l.summary.lastCheckpoint));
}

}  // namespace shoal::train
