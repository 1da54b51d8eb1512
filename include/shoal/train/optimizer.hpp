// train::Optimizer: the training loop — model, data, criterion, method, end trigger (BigDL's Optimizer).
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "shoal/data/dataset.hpp"
#include "shoal/train/early_stopping.hpp"
#include "shoal/dist/training_strategy.hpp"
#include "shoal/io/checkpoint.hpp"
#include "shoal/nn/criterion.hpp"
#include "shoal/nn/module.hpp"
#include "shoal/optim/optim_method.hpp"
#include "shoal/train/run_log.hpp"
#include "shoal/train/trigger.hpp"
#include "shoal/train/validation.hpp"

namespace shoal::train {

// What optimize() reports when it returns.
struct TrainSummary {
  int64_t epochs = 0;                       // epochs started
  int64_t iterations = 0;                   // steps taken
  double lastEpochLoss = 0;                 // mean training loss of the last (partial) epoch
  double samplesPerSecond = 0;              // training throughput over the whole run
  std::vector<ValidationResult> validation;  // the last validation, if any ran
  int stoppedBySignal = 0;                  // the signal that stopped training early, or 0
  bool stoppedEarly = false;                // early stopping ended training
  int64_t bestEpoch = 0;                    // early stopping: the epoch whose weights the model holds
  std::string lastCheckpoint;               // path of the newest checkpoint written, if any
};

// When and where checkpoints are written.
struct CheckpointSettings {
  std::string dir;
  int64_t everyIterations = 0;  // 0: at the end of every epoch
  int keep = 3;                 // newest checkpoints kept
};

// Where training stands, saved in checkpoints so that a resumed run continues exactly.
struct TrainPosition {
  int64_t epoch = 1;  // epoch to run (from 1)
  int64_t batch = 0;  // next batch within it
  int64_t iteration = 0;
  double lossSum = 0;  // the epoch's losses so far
  int64_t lossCount = 0;
  int64_t epochSamples = 0;
  double epochSeconds = 0;
  double trainSeconds = 0;  // over all epochs before this one
  int64_t trainedSamples = 0;
  double elapsedSeconds = 0;  // wall time before this process took over
  uint64_t seed = 1;

  nlohmann::json toJson() const;
  static TrainPosition fromJson(const nlohmann::json& j);
};

// Watches training from outside the loop (per-layer statistics, profiling, reporting). Every
// hook has an empty default; observers must not change the model or the optimiser state.
class StepObserver {
 public:
  virtual ~StepObserver() = default;
  // Before a step: `state.iteration` is the number of steps already taken.
  virtual void beforeStep(const TrainState& state) {}
  // After a step (the flat gradients still hold that step's gradients).
  virtual void afterStep(const TrainState& state, RunLog& log) {}
  // Before the epoch record is written: observers may add fields to it.
  virtual void atEpochEnd(const TrainState& state, nlohmann::json& epochRecord) {}
};

class Optimizer {
 public:
  Optimizer(nn::Module& model, const data::Dataset& trainSet,
            std::shared_ptr<nn::Criterion> criterion, std::shared_ptr<optim::OptimMethod> method,
            Trigger endWhen, int64_t batchSize);
  // Takes criterion and method by value: Optimizer(model, data, nn::ClassNLLCriterion(),
  // optim::SGD({.lr = 0.05}), MaxEpoch(10), 128).
  template <class C, class M,
            class = std::enable_if_t<std::is_base_of_v<nn::Criterion, std::decay_t<C>> &&
                                     std::is_base_of_v<optim::OptimMethod, std::decay_t<M>>>>
  Optimizer(nn::Module& model, const data::Dataset& trainSet, C&& criterion, M&& method,
            Trigger endWhen, int64_t batchSize)
      : Optimizer(model, trainSet, std::make_shared<std::decay_t<C>>(std::forward<C>(criterion)),
                  std::make_shared<std::decay_t<M>>(std::forward<M>(method)), std::move(endWhen),
                  batchSize) {}

  // Validates on `data` whenever `when` fires (batch 0: the training batch size).
  Optimizer& setValidation(Trigger when, const data::Dataset& data,
                           std::vector<ValidationMethod> methods, int64_t batchSize = 0);
  // Ends training once the validation metric has not improved for `patience` validations and
  // puts the best validation's weights back at the end of training (EarlyStopping). Needs
  // setValidation on data held out from training.
  Optimizer& setEarlyStopping(EarlyStoppingSettings settings);
  // Seed of the per-epoch shuffling (default 1).
  Optimizer& setSeed(uint64_t seed);
  // False: every epoch visits the training set in order (default: shuffled per epoch).
  Optimizer& setShuffle(bool shuffle);
  // Where log lines and metrics go; without it, log lines go to stdout only.
  Optimizer& setRunLog(RunLog* log);

  // Writes checkpoints (`info` goes into each checkpoint).
  // The directory is created and checked for writing now, before training starts.
  Optimizer& setCheckpointing(CheckpointSettings settings, io::ModelInfo info);
  // Continues from a checkpoint: its optimiser state, trainer position and seed. The model's
  // parameters are restored by the caller (io::restoreModel or io::restoreInto). The next
  // optimize() first records {"type": "resume", "iteration", "epoch", "checkpoint": path} (the
  // position; the path when given), so that readers of the metrics drop what an interrupted run
  // recorded past it (report::parseMetrics).
  Optimizer& resumeFrom(const io::Checkpoint& checkpoint, const std::string& path = "");
  // Asked after every step; a non-zero answer (a signal number) ends training after that step,
  // with a checkpoint when checkpointing is on.
  Optimizer& setStopCheck(std::function<int()> stopRequested);
  // How replicas are kept consistent (not owned; null: single-process training, the default).
  // With a dist::Synchronizer, trains data-parallel with the other ranks of its communicator: the
  // training set (and validation set) given here must be this rank's shard. Rank 0's weights are
  // broadcast first; steps per epoch are those of the smallest shard. A full-batch strategy
  // (Strategy::Lbfgs) makes every step one evaluation over the shard (in chunks of the batch
  // size). Only rank 0 writes checkpoints.
  Optimizer& setStrategy(dist::TrainingStrategy* strategy);
  // Adds an observer (not owned; it must outlive optimize()).
  Optimizer& addObserver(StepObserver* observer);

  // Trains until the end trigger fires or a stop is requested. Throws DivergenceError on a
  // non-finite loss or gradient, naming the epoch, iteration and last good checkpoint.
  TrainSummary optimize();

  // An epoch's figures over all ranks: samples trained, mean loss, and this rank's time in
  // collectives (and waiting for the others there) and bytes sent per step.
  struct EpochFigures {
    double samples = 0;
    double loss = 0;
    double commSeconds = 0;
    double commWaitSeconds = 0;  // of commSeconds, waiting for slower ranks
    double bytesPerStep = 0;
    // bucketed exchanges (compression, overlap): fraction of gradient elements sent, and of
    // the exchange's time hidden behind backward; negative when there was no such exchange
    double density = -1;
    double hiddenShare = -1;
  };

 private:
  struct Loop;  // one optimize() call's state (training_loop.cpp)
  void recordResume();
  void beginEpoch(Loop& loop);
  void takeStep(Loop& loop);
  float miniBatchLoss(Loop& loop);
  float fullBatchLoss(Loop& loop);
  void afterStep(Loop& loop);
  // Ends the epoch (record, line, checkpoint); false when training ends with it.
  bool finishEpoch(Loop& loop);
  void recordEpoch(Loop& loop, const EpochFigures& figures);
  // Also makes the ranks consistent (TrainingStrategy::synchronize) at the epoch's end.
  EpochFigures epochFigures(const TrainPosition& at, int64_t stepsBefore,
                            const dist::CommStats& commBefore,
                            const dist::ExchangeStats& exchangeBefore);
  void validate(const TrainState& state, TrainSummary& summary, nlohmann::json& record);
  // Early stopping's look at a validation just made: ends training when it says so.
  void watchValidation(Loop& loop, nlohmann::json& record);
  // At the end of training: the best validation's weights back, when early stopping kept them.
  void restoreBestWeights(Loop& loop);
  void checkpoint(Loop& loop, TrainPosition position);
  std::string writeCheckpoint(const TrainPosition& position, dist::ExchangeState exchange);
  [[noreturn]] void diverged(const Loop& loop, const std::string& what) const;
  int stopRequested() const { return stopRequested_ ? stopRequested_() : 0; }

  nn::Module& model_;
  const data::Dataset& trainSet_;
  std::shared_ptr<nn::Criterion> criterion_;
  std::shared_ptr<optim::OptimMethod> method_;
  Trigger endWhen_;
  int64_t batchSize_;
  uint64_t seed_ = 1;
  bool shuffle_ = true;
  RunLog defaultLog_;
  RunLog* log_ = &defaultLog_;

  struct Validation {
    Trigger when;
    const data::Dataset* data;
    std::vector<ValidationMethod> methods;
    int64_t batchSize;
  };
  std::optional<Validation> validation_;
  std::optional<EarlyStoppingSettings> earlySettings_;
  std::optional<EarlyStopping> early_;  // made by optimize() from earlySettings_ and the methods
  std::optional<EarlyStopping::Saved> resumedEarly_;  // early stopping's state in the resumed checkpoint
  std::optional<CheckpointSettings> checkpointing_;
  io::ModelInfo checkpointInfo_;
  TrainPosition start_;
  std::optional<std::string> resumedFrom_;  // the checkpoint's path until optimize() records it
  dist::ExchangeState resumedExchange_;     // the gradient exchange's state in the resumed checkpoint
  std::function<int()> stopRequested_;
  std::vector<StepObserver*> observers_;
  std::unique_ptr<dist::TrainingStrategy> singleProcess_ = dist::singleProcessTraining();
  dist::TrainingStrategy* strategy_ = singleProcess_.get();
};

}  // namespace shoal::train
