// Validation methods (accuracy, loss, mean absolute error, AUC, PR AUC, log loss, precision, recall, F1) and evaluation of a model on a data set.
#pragma once
#include <string>
#include <vector>

#include "shoal/data/dataset.hpp"
#include "shoal/dist/communicator.hpp"
#include "shoal/nn/criterion.hpp"
#include "shoal/nn/module.hpp"
#include "shoal/train/score_table.hpp"

namespace shoal::train {

// A metric over a data set. Top1Accuracy, Top5Accuracy, Loss and MAE (the mean absolute error of
// numeric targets, over all outputs) are sums over batches divided by counts; the others are computed once from every sample's class probabilities (the softmax of
// the output): AUC (ROC AUC), PR_AUC (average precision) and LogLoss, and Precision, Recall and F1
// at `threshold` on P(class 1) for two classes (of class 1 against class 0). With more than two
// classes each of them is the mean over the classes of one class against the rest (precision,
// recall and F1 of the most probable class), and the per-class values are kept.
class ValidationMethod {
 public:
  enum class Kind { Top1Accuracy, Top5Accuracy, Loss, MAE, AUC, PrAUC, LogLoss, Precision, Recall, F1 };
  explicit ValidationMethod(Kind kind, double threshold = 0.5);
  Kind kind() const { return kind_; }
  double threshold() const { return threshold_; }
  // "Top1Accuracy", "Top5Accuracy", "Loss", "MAE", "AUC", "PR_AUC", "LogLoss", "Precision", "Recall", "F1".
  std::string name() const;
  // True for the methods computed from all samples' probabilities rather than summed per batch.
  bool needsScores() const;
  // True for Loss, MAE and LogLoss (smaller is better), false for the others.
  bool lowerIsBetter() const;
  // True for the methods that apply to numeric targets (regression): Loss and MAE.
  bool takesNumericTargets() const;
  // Adds one batch (sum and count methods): `output` [N, C] scores, `target` [N] class indices
  // (or like output for Loss and MAE).
  void accumulate(const Tensor& output, const Tensor& target, nn::Criterion& criterion,
                  double& sum, double& count) const;
  // The value over `scores` (methods that need scores); `perClass` gets one value per class when
  // there are more than two classes. InputError when undefined (AUC with one class present).
  double fromScores(const ScoreTable& scores, std::vector<double>& perClass) const;

 private:
  Kind kind_;
  double threshold_;
};

inline ValidationMethod Top1Accuracy() { return ValidationMethod(ValidationMethod::Kind::Top1Accuracy); }
inline ValidationMethod Top5Accuracy() { return ValidationMethod(ValidationMethod::Kind::Top5Accuracy); }
inline ValidationMethod Loss() { return ValidationMethod(ValidationMethod::Kind::Loss); }
inline ValidationMethod MAE() { return ValidationMethod(ValidationMethod::Kind::MAE); }
inline ValidationMethod AUC() { return ValidationMethod(ValidationMethod::Kind::AUC); }
inline ValidationMethod PrAUC() { return ValidationMethod(ValidationMethod::Kind::PrAUC); }
inline ValidationMethod LogLoss() { return ValidationMethod(ValidationMethod::Kind::LogLoss); }
inline ValidationMethod Precision(double threshold = 0.5) {
  return ValidationMethod(ValidationMethod::Kind::Precision, threshold);
}
inline ValidationMethod Recall(double threshold = 0.5) { return ValidationMethod(ValidationMethod::Kind::Recall, threshold); }
inline ValidationMethod F1(double threshold = 0.5) { return ValidationMethod(ValidationMethod::Kind::F1, threshold); }

// A method by name, case-insensitive: a method's name or top1, top5, loss, mae, auc, pr_auc, logloss,
// precision, recall, f1; `threshold` for precision, recall and F1. UsageError listing the names.
ValidationMethod validationMethodNamed(const std::string& name, double threshold = 0.5);
// The names validationMethodNamed takes, for messages: "top1, top5, loss, auc, ...".
const char* validationMethodNames();

struct ValidationResult {
  std::string name;
  double sum = 0;
  double count = 0;                 // samples evaluated
  bool whole = false;               // `sum` is the value itself, computed from all samples' scores
  std::vector<double> perClass;     // one class against the rest, with more than two classes
  double value() const { return whole ? sum : count > 0 ? sum / count : 0.0; }
};

// Runs `model` in evaluation mode over `data` in batches of `batchSize` and returns one result
// per method, in order. Restores the model's previous mode. With `comm`, every rank evaluates its
// own data and every rank gets the results over the data of all ranks. `scores`, if given, gets
// the samples' probabilities when a method needed them (the softmax of the output, or the output
// itself when the model ends in SoftMax).
std::vector<ValidationResult> evaluate(nn::Module& model, const data::Dataset& data,
                                       const std::vector<ValidationMethod>& methods,
                                       nn::Criterion& criterion, int64_t batchSize,
                                       dist::Communicator* comm = nullptr, ScoreTable* scores = nullptr);

}  // namespace shoal::train
