// train::Optimizer: the training loop — model, data, criterion, method, end trigger (BigDL's Optimizer).
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "shoal/data/dataset.hpp"
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
  // Seed of the per-epoch shuffling (default 1).
  Optimizer& setSeed(uint64_t seed);
  // Where log lines and metrics go; without it, log lines go to stdout only.
  Optimizer& setRunLog(RunLog* log);

  // Trains until the end trigger fires; throws DivergenceError on a non-finite loss.
  TrainSummary optimize();

 private:
  void validate(const TrainState& state, TrainSummary& summary, nlohmann::json& record);

  nn::Module& model_;
  const data::Dataset& trainSet_;
  std::shared_ptr<nn::Criterion> criterion_;
  std::shared_ptr<optim::OptimMethod> method_;
  Trigger endWhen_;
  int64_t batchSize_;
  uint64_t seed_ = 1;
  RunLog defaultLog_;
  RunLog* log_ = &defaultLog_;

  struct Validation {
    Trigger when;
    const data::Dataset* data;
    std::vector<ValidationMethod> methods;
    int64_t batchSize;
  };
  std::optional<Validation> validation_;
};

}  // namespace shoal::train
