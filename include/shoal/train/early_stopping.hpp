// Early stopping: ends training once a validation metric has stopped improving, and puts back the weights of its best validation.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "shoal/nn/module.hpp"
#include "shoal/train/validation.hpp"

namespace shoal::train {

struct EarlyStoppingSettings {
  int64_t patience = 0;  // validations without improvement before training stops (> 0)
  std::string metric;    // a validation method's name (validationMethodNamed); empty: the first
};

// Keras's EarlyStopping with restore_best_weights, XGBoost's early_stopping_rounds. After every
// validation, observe() compares the metric with the best value so far (lower is better for Loss,
// MAE and LogLoss, higher for the others; a strict improvement counts) and keeps a copy of the
// model's flat parameters and state buffers (batch normalisation's statistics) when it improved.
// Every rank sees the same validation results, so every rank decides the same.
class EarlyStopping {
 public:
  // `methods`: what validation computes; the metric must be one of them (UsageError otherwise).
  EarlyStopping(EarlyStoppingSettings settings, const std::vector<ValidationMethod>& methods);

  // After a validation at `epoch`/`iteration`: true when `patience` validations in a row did not
  // improve on the best one.
  bool observe(const std::vector<ValidationResult>& results, int64_t epoch, int64_t iteration,
               nn::Module& model);
  // Copies the best validation's weights and state buffers back into `model`; false when its
  // current weights are those (or nothing was observed).
  bool restoreBest(nn::Module& model) const;

  const std::string& metric() const { return metric_; }
  double best() const { return best_; }
  int64_t bestEpoch() const { return bestEpoch_; }
  int64_t bestIteration() const { return bestIteration_; }
  int64_t stale() const { return stale_; }
  // Whether the last `patience` validations did not improve (training is over).
  bool exhausted() const { return stale_ >= settings_.patience; }
  // "AUC did not improve on 0.8561 (epoch 7) for 5 validations"
  std::string describeStop() const;

  // What a checkpoint keeps of it: the scalars, and the copy of the best weights (named tensors).
  struct Saved {
    nlohmann::json state;
    std::vector<std::pair<std::string, Tensor>> tensors;
  };
  Saved save() const;
  // Restores what save() gave; InputError naming `source` when it does not fit.
  void restore(const Saved& saved, nn::Module& model, const std::string& source);

 private:
  // Whether a validation was kept (its weights copied).
  bool seen() const { return bestParameters_.defined(); }
  bool improves(double value) const;
  void keep(nn::Module& model);

  EarlyStoppingSettings settings_;
  std::string metric_;  // the result's name, "AUC"
  bool lowerIsBetter_ = false;
  double best_ = 0;
  int64_t bestEpoch_ = 0, bestIteration_ = 0, stale_ = 0;
  bool latestIsBest_ = false;  // the model's weights are the kept ones
  Tensor bestParameters_;
  std::vector<Tensor> bestBuffers_;
};

}  // namespace shoal::train
