// Validation methods: per-batch sums (accuracy, loss), metrics over all samples' scores, and batched evaluation.
#include "shoal/train/validation.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include "shoal/data/in_order_batches.hpp"
#include "shoal/error.hpp"
#include "shoal/train/binary_metrics.hpp"
#include "shoal/train/rank_results.hpp"

namespace shoal::train {
namespace {

using Kind = ValidationMethod::Kind;

// Number of rows whose target class is among the k highest scores.
double topKHits(const Tensor& output, const Tensor& target, int64_t k) {
  int64_t n = output.dim(0), classes = output.numel() / std::max<int64_t>(n, 1);
  double hits = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* row = output.data() + i * classes;
    auto label = static_cast<int64_t>(target[i]);
    if (label < 0 || label >= classes) continue;
    int64_t higher = 0;  // classes scoring strictly above the target (ties count for the target)
    for (int64_t c = 0; c < classes; ++c) higher += row[c] > row[label];
    hits += higher < k;
  }
  return hits;
}

// Sum over rows of the mean absolute difference between a row's outputs and its numeric targets.
// output, target: [N, K] (target [N] when K is 1).
double absoluteErrors(const Tensor& output, const Tensor& target) {
  if (output.numel() != target.numel())
    throw ShapeError("MAE: expected numeric targets shaped like the output " + output.shape().str() + ", got " +
                     target.shape().str() + " (class labels have no absolute error)");
  const int64_t width = output.numel() / std::max<int64_t>(output.dim(0), 1);
  double sum = 0;
  for (int64_t i = 0; i < output.numel(); ++i) sum += std::abs(static_cast<double>(output[i]) - target[i]);
  return sum / static_cast<double>(std::max<int64_t>(width, 1));
}

// One class against the rest: AUC, PR AUC, or precision/recall/F1 from the confusion matrix.
double forClass(Kind kind, const ScoreTable& scores, const metrics::ConfusionMatrix& confusion, int64_t cls) {
  switch (kind) {
    case Kind::AUC: return metrics::rocAuc(scores.probabilitiesOf(cls), scores.isClass(cls));
    case Kind::PrAUC: return metrics::averagePrecision(scores.probabilitiesOf(cls), scores.isClass(cls));
    case Kind::Precision: return metrics::precisionRecall(confusion, cls).precision;
    case Kind::Recall: return metrics::precisionRecall(confusion, cls).recall;
    case Kind::F1: return metrics::precisionRecall(confusion, cls).f1;
    default: return 0;
  }
}

}  // namespace

ValidationMethod::ValidationMethod(Kind kind, double threshold) : kind_(kind), threshold_(threshold) {
  if (!(threshold >= 0 && threshold <= 1))
    throw UsageError("validation threshold must be in [0, 1], got " + std::to_string(threshold));
}

std::string ValidationMethod::name() const {
  switch (kind_) {
    case Kind::Top1Accuracy: return "Top1Accuracy";
    case Kind::Top5Accuracy: return "Top5Accuracy";
    case Kind::Loss: return "Loss";
    case Kind::MAE: return "MAE";
    case Kind::AUC: return "AUC";
    case Kind::PrAUC: return "PR_AUC";
    case Kind::LogLoss: return "LogLoss";
    case Kind::Precision: return "Precision";
    case Kind::Recall: return "Recall";
    case Kind::F1: return "F1";
  }
  return "?";
}

bool ValidationMethod::needsScores() const {
  return kind_ != Kind::Top1Accuracy && kind_ != Kind::Top5Accuracy && !takesNumericTargets();
}

bool ValidationMethod::lowerIsBetter() const { return takesNumericTargets() || kind_ == Kind::LogLoss; }

bool ValidationMethod::takesNumericTargets() const { return kind_ == Kind::Loss || kind_ == Kind::MAE; }

void ValidationMethod::accumulate(const Tensor& output, const Tensor& target,
                                  nn::Criterion& criterion, double& sum, double& count) const {
  int64_t n = output.dim(0);
  switch (kind_) {
    case Kind::Top1Accuracy: sum += topKHits(output, target, 1); break;
    case Kind::Top5Accuracy: sum += topKHits(output, target, 5); break;
    case Kind::Loss: {
      double loss = criterion.forward(output, target);
      sum += criterion.reduction() == nn::Reduction::Mean ? loss * n : loss;
      break;
    }
    case Kind::MAE: sum += absoluteErrors(output, target); break;
    default: break;  // computed from the scores at the end
  }
  count += n;
}

double ValidationMethod::fromScores(const ScoreTable& scores, std::vector<double>& perClass) const {
  perClass.clear();
  if (scores.size() == 0) throw InputError(name() + ": no samples to evaluate");
  if (kind_ == Kind::LogLoss) return metrics::logLoss(scores.probabilities, scores.labels, scores.classes);
  const metrics::ConfusionMatrix confusion =
      metrics::confusionMatrix(scores.predictions(threshold_), scores.labels, scores.classes);
  if (scores.classes == 2) return forClass(kind_, scores, confusion, 1);
  double sum = 0;
  for (int64_t c = 0; c < scores.classes; ++c) sum += perClass.emplace_back(forClass(kind_, scores, confusion, c));
  return sum / static_cast<double>(scores.classes);
}

const char* validationMethodNames() {
  return "top1, top5, loss, mae, auc, pr_auc, logloss, precision, recall, f1";
}

ValidationMethod validationMethodNamed(const std::string& name, double threshold) {
  static const std::map<std::string, Kind> kinds{
      {"top1", Kind::Top1Accuracy}, {"top1accuracy", Kind::Top1Accuracy}, {"accuracy", Kind::Top1Accuracy},
      {"top5", Kind::Top5Accuracy}, {"top5accuracy", Kind::Top5Accuracy}, {"loss", Kind::Loss},
      {"mae", Kind::MAE},           {"mean_absolute_error", Kind::MAE},
      {"auc", Kind::AUC},           {"roc_auc", Kind::AUC},               {"pr_auc", Kind::PrAUC},
      {"logloss", Kind::LogLoss},   {"log_loss", Kind::LogLoss},          {"precision", Kind::Precision},
      {"recall", Kind::Recall},     {"f1", Kind::F1}};
  std::string key = name;
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char ch) { return std::tolower(ch); });
  auto found = kinds.find(key);
  if (found == kinds.end())
    throw UsageError("unknown validation method '" + name + "' (expected one of " + validationMethodNames() + ")");
  return ValidationMethod(found->second, threshold);
}

std::vector<ValidationResult> evaluate(nn::Module& model, const data::Dataset& data,
                                       const std::vector<ValidationMethod>& methods,
                                       nn::Criterion& criterion, int64_t batchSize,
                                       dist::Communicator* comm, ScoreTable* scoresOut) {
  if (!data.hasLabels()) throw UsageError("evaluation needs labelled data");
  std::vector<ValidationResult> results;
  for (const auto& m : methods) results.emplace_back().name = m.name();
  const bool keepScores = std::any_of(methods.begin(), methods.end(), [](auto& m) { return m.needsScores(); });
  ScoreTable scores;
  const bool outputIsProbabilities = model.outputModule().typeName() == "SoftMax";
  bool wasTraining = model.isTraining();
  model.evaluate();
  // batches go straight into bf16 when the model's first products read bf16
  Tensor input = model.inputBuffer(), target;
  data::forEachBatchInOrder(data, batchSize, input, target, [&](int64_t) {
    const Tensor& output = model.forward(input);
    for (size_t i = 0; i < methods.size(); ++i)
      methods[i].accumulate(output, target, criterion, results[i].sum, results[i].count);
    if (keepScores) scores.add(output, target, outputIsProbabilities);
  });
  model.setTraining(wasTraining);
  if (comm) sumAcrossRanks(results, *comm);
  if (!keepScores) return results;
  if (comm) scores.gatherAcrossRanks(*comm);
  for (size_t i = 0; i < methods.size(); ++i) {
    if (!methods[i].needsScores()) continue;
    results[i].sum = methods[i].fromScores(scores, results[i].perClass);
    results[i].whole = true;
  }
  if (scoresOut) *scoresOut = std::move(scores);
  return results;
}

}  // namespace shoal::train
