// ROC AUC, average precision, log loss, confusion counts and curves, computed as scikit-learn does.
#include "shoal/train/binary_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "shoal/error.hpp"

namespace shoal::train::metrics {
namespace {

// Cumulative true and false positives after each group of tied scores, highest scores first.
struct ThresholdCounts {
  std::vector<double> thresholds, truePositives, falsePositives;
  double positives = 0, negatives = 0;
};

ThresholdCounts countByThreshold(std::span<const double> scores, std::span<const uint8_t> positive) {
  if (scores.size() != positive.size())
    throw InputError("metrics: " + std::to_string(scores.size()) + " scores for " +
                     std::to_string(positive.size()) + " labels");
  for (size_t i = 0; i < scores.size(); ++i)
    if (std::isnan(scores[i]))
      throw InputError("metrics: the score of sample " + std::to_string(i) + " is NaN (did training diverge?)");
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  ThresholdCounts c;
  double tp = 0, fp = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    (positive[order[i]] ? tp : fp) += 1;
    if (i + 1 < order.size() && scores[order[i + 1]] == scores[order[i]]) continue;  // a tie goes on
    c.thresholds.push_back(scores[order[i]]);
    c.truePositives.push_back(tp);
    c.falsePositives.push_back(fp);
  }
  c.positives = tp;
  c.negatives = fp;
  return c;
}

}  // namespace

Curve rocCurve(std::span<const double> scores, std::span<const uint8_t> positive) {
  ThresholdCounts c = countByThreshold(scores, positive);
  if (c.positives == 0 || c.negatives == 0)
    throw InputError("metrics: ROC AUC needs both classes among the labels (found only " +
                     std::string(c.positives == 0 ? "negatives" : "positives") + ")");
  Curve curve{{0.0}, {0.0}, {std::numeric_limits<double>::infinity()}};
  for (size_t k = 0; k < c.thresholds.size(); ++k) {
    curve.x.push_back(c.falsePositives[k] / c.negatives);
    curve.y.push_back(c.truePositives[k] / c.positives);
    curve.thresholds.push_back(c.thresholds[k]);
  }
  return curve;
}

double rocAuc(std::span<const double> scores, std::span<const uint8_t> positive) {
  Curve roc = rocCurve(scores, positive);
  double area = 0;
  for (size_t k = 1; k < roc.x.size(); ++k) area += (roc.x[k] - roc.x[k - 1]) * (roc.y[k] + roc.y[k - 1]) / 2;
  return area;
}

Curve precisionRecallCurve(std::span<const double> scores, std::span<const uint8_t> positive) {
  ThresholdCounts c = countByThreshold(scores, positive);
  if (c.positives == 0)
    throw InputError("metrics: average precision needs at least one positive label");
  Curve curve{{0.0}, {1.0}, {std::numeric_limits<double>::infinity()}};
  for (size_t k = 0; k < c.thresholds.size(); ++k) {
    const double tp = c.truePositives[k];
    curve.x.push_back(tp / c.positives);
    curve.y.push_back(tp / (tp + c.falsePositives[k]));
    curve.thresholds.push_back(c.thresholds[k]);
    if (tp == c.positives) break;  // full recall: lower thresholds add only false positives
  }
  return curve;
}

double averagePrecision(std::span<const double> scores, std::span<const uint8_t> positive) {
  Curve pr = precisionRecallCurve(scores, positive);
  double area = 0;
  for (size_t k = 1; k < pr.x.size(); ++k) area += (pr.x[k] - pr.x[k - 1]) * pr.y[k];
  return area;
}

double logLoss(std::span<const double> probabilities, std::span<const int32_t> labels, int64_t classes) {
  const auto n = static_cast<int64_t>(labels.size());
  if (classes < 1 || static_cast<int64_t>(probabilities.size()) != n * classes)
    throw InputError("metrics: log loss needs " + std::to_string(n) + " x " + std::to_string(classes) +
                     " probabilities, got " + std::to_string(probabilities.size()));
  if (n == 0) throw InputError("metrics: log loss of no samples");
  const double eps = std::numeric_limits<double>::epsilon();
  double total = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double* row = probabilities.data() + i * classes;
    if (labels[i] < 0 || labels[i] >= classes)
      throw InputError("metrics: label " + std::to_string(labels[i]) + " outside 0.." + std::to_string(classes - 1));
    double sum = 0;
    for (int64_t c = 0; c < classes; ++c) sum += std::clamp(row[c], eps, 1 - eps);
    total -= std::log(std::clamp(row[labels[i]], eps, 1 - eps) / sum);
  }
  return total / static_cast<double>(n);
}

ConfusionMatrix confusionMatrix(std::span<const int32_t> predicted, std::span<const int32_t> labels,
                                int64_t classes) {
  ConfusionMatrix m{classes, std::vector<int64_t>(static_cast<size_t>(classes * classes), 0)};
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= classes || predicted[i] < 0 || predicted[i] >= classes)
      throw InputError("metrics: class " + std::to_string(std::min(labels[i], predicted[i])) + " outside 0.." +
                       std::to_string(classes - 1));
    ++m.counts[labels[i] * classes + predicted[i]];
  }
  return m;
}

PrecisionRecall precisionRecall(const ConfusionMatrix& m, int64_t cls) {
  double tp = static_cast<double>(m.at(cls, cls)), predicted = 0, actual = 0;
  for (int64_t c = 0; c < m.classes; ++c) {
    predicted += static_cast<double>(m.at(c, cls));
    actual += static_cast<double>(m.at(cls, c));
  }
  PrecisionRecall r;
  r.precision = predicted > 0 ? tp / predicted : 0;
  r.recall = actual > 0 ? tp / actual : 0;
  r.f1 = r.precision + r.recall > 0 ? 2 * r.precision * r.recall / (r.precision + r.recall) : 0;
  return r;
}

Curve thinned(const Curve& curve, int64_t points) {
  const auto size = static_cast<int64_t>(curve.x.size());
  if (size <= points || points < 2) return curve;
  Curve out;
  for (int64_t k = 0; k < points; ++k) {
    const int64_t at = k * (size - 1) / (points - 1);
    out.x.push_back(curve.x[at]);
    out.y.push_back(curve.y[at]);
    out.thresholds.push_back(curve.thresholds[at]);
  }
  return out;
}

}  // namespace shoal::train::metrics
