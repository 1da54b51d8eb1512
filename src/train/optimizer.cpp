// Setting up the trainer: model, data, criterion, method, end trigger and what it does besides stepping.
#include "shoal/train/optimizer.hpp"

#include "shoal/error.hpp"
#include "shoal/io/writable_directory.hpp"

namespace shoal::train {

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

Optimizer& Optimizer::setEarlyStopping(EarlyStoppingSettings settings) {
  earlySettings_ = std::move(settings);
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
  if (settings.keep < 1) throw ConfigError("checkpoint.keep", "\"checkpoint.keep\" must be at least 1");
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
  resumedEarly_.reset();
  if (checkpoint.trainer.contains("early_stopping"))
    resumedEarly_ = EarlyStopping::Saved{checkpoint.trainer.at("early_stopping"), checkpoint.trainerTensors};
  resumedExchange_ = dist::ExchangeState{checkpoint.exchange, checkpoint.exchangeTensors};
  resumedFrom_ = path;
  return *this;
}

Optimizer& Optimizer::setStopCheck(std::function<int()> stopRequested) {
  stopRequested_ = std::move(stopRequested);
  return *this;
}

Optimizer& Optimizer::setStrategy(dist::TrainingStrategy* strategy) {
  strategy_ = strategy ? strategy : singleProcess_.get();
  return *this;
}

Optimizer& Optimizer::addObserver(StepObserver* observer) {
  observers_.push_back(observer);
  return *this;
}

std::string Optimizer::writeCheckpoint(const TrainPosition& position, dist::ExchangeState exchange) {
  io::Checkpoint c = io::captureModel(model_, checkpointInfo_);
  c.optim = method_->saveState();
  c.trainer = position.toJson();
  if (early_) {
    EarlyStopping::Saved saved = early_->save();
    c.trainer["early_stopping"] = std::move(saved.state);
    c.trainerTensors = std::move(saved.tensors);
  }
  c.exchange = std::move(exchange.description);
  c.exchangeTensors = std::move(exchange.tensors);
  return io::writeCheckpoint(checkpointing_->dir, position.iteration, c, checkpointing_->keep);
}

}  // namespace shoal::train
