// Classification metrics over scored samples: ROC AUC, average precision, log loss, thresholded counts, curves.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace shoal::train::metrics {

// Area under the ROC curve of `scores` for the samples marked `positive` (1) against the rest (0);
// tied scores count half, as scikit-learn's roc_auc_score does. InputError when only one class is
// present (the area is undefined).
double rocAuc(std::span<const double> scores, std::span<const uint8_t> positive);

// Average precision (area under the precision-recall curve as a step function over the distinct
// thresholds, scikit-learn's average_precision_score). InputError when there is no positive.
double averagePrecision(std::span<const double> scores, std::span<const uint8_t> positive);

// Mean negative log-likelihood of `labels` under `probabilities` ([N, classes] row-major), each
// row clipped to [eps, 1 - eps] (eps: double's machine epsilon) and renormalised, as
// scikit-learn's log_loss does.
double logLoss(std::span<const double> probabilities, std::span<const int32_t> labels, int64_t classes);

// Counts of actual class (row) by predicted class (column), [classes, classes] row-major.
struct ConfusionMatrix {
  int64_t classes = 0;
  std::vector<int64_t> counts;
  int64_t at(int64_t actual, int64_t predicted) const { return counts[actual * classes + predicted]; }
};
ConfusionMatrix confusionMatrix(std::span<const int32_t> predicted, std::span<const int32_t> labels,
                                int64_t classes);

// One class's precision, recall and F1 against the rest (0 where a denominator is 0, scikit-learn's
// zero_division=0).
struct PrecisionRecall {
  double precision = 0, recall = 0, f1 = 0;
};
PrecisionRecall precisionRecall(const ConfusionMatrix& m, int64_t cls);

// A curve through the distinct thresholds (descending): ROC (x: false-positive rate, y: true-positive
// rate, starting at (0, 0)) or precision-recall (x: recall, y: precision, ending at (0, 1) as
// scikit-learn's precision_recall_curve does, read in reverse).
struct Curve {
  std::vector<double> x, y, thresholds;
};
Curve rocCurve(std::span<const double> scores, std::span<const uint8_t> positive);
Curve precisionRecallCurve(std::span<const double> scores, std::span<const uint8_t> positive);

// At most `points` points of `curve`, evenly spaced along its index, the first and last kept.
Curve thinned(const Curve& curve, int64_t points);

}  // namespace shoal::train::metrics
