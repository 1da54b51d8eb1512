// Collecting class probabilities per sample (softmax of the model's output) and gathering them from all ranks.
#include "shoal/train/score_table.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "shoal/error.hpp"

namespace shoal::train {

void ScoreTable::add(const Tensor& output, const Tensor& target, bool outputIsProbabilities) {
  const int64_t n = output.dim(0), c = n > 0 ? output.numel() / n : classes;
  if (c < 2)
    throw InputError("AUC, PR AUC, log loss, precision, recall and F1 need a classifier's output of at least "
                     "2 class scores per sample, got " + std::to_string(c));
  if (classes != 0 && c != classes)
    throw InputError("metrics: " + std::to_string(c) + " class scores after " + std::to_string(classes));
  classes = c;
  const float* scores = output.data();
  for (int64_t i = 0; i < n; ++i) {
    const float* row = scores + i * c;
    const auto label = static_cast<int64_t>(target[i]);
    if (label < 0 || label >= c)
      throw InputError("metrics: label " + std::to_string(label) + " outside 0.." + std::to_string(c - 1));
    const double top = *std::max_element(row, row + c);
    double sum = 0;
    const size_t at = probabilities.size();
    for (int64_t k = 0; k < c; ++k)
      sum += probabilities.emplace_back(outputIsProbabilities ? std::max(0.0f, row[k]) : std::exp(row[k] - top));
    for (int64_t k = 0; k < c; ++k) probabilities[at + k] /= sum;
    labels.push_back(static_cast<int32_t>(label));
  }
}

std::vector<double> ScoreTable::probabilitiesOf(int64_t cls) const {
  std::vector<double> p(labels.size());
  for (size_t i = 0; i < p.size(); ++i) p[i] = probabilities[i * classes + cls];
  return p;
}

std::vector<uint8_t> ScoreTable::isClass(int64_t cls) const {
  std::vector<uint8_t> is(labels.size());
  for (size_t i = 0; i < is.size(); ++i) is[i] = labels[i] == cls;
  return is;
}

std::vector<int32_t> ScoreTable::predictions(double threshold) const {
  std::vector<int32_t> predicted(labels.size());
  for (size_t i = 0; i < predicted.size(); ++i) {
    const double* row = probabilities.data() + i * classes;
    predicted[i] = classes == 2 ? row[1] >= threshold
                                : static_cast<int32_t>(std::max_element(row, row + classes) - row);
  }
  return predicted;
}

// Each rank writes its rows at its offset into a zeroed buffer of all rows; a sum all-reduce
// then leaves every row on every rank.
void ScoreTable::gatherAcrossRanks(dist::Communicator& comm) {
  if (comm.size() == 1) return;
  const std::vector<int64_t> sizes = comm.allGather(size());
  std::vector<int64_t> classCounts = comm.allGather(classes);
  const int64_t c = *std::max_element(classCounts.begin(), classCounts.end());
  int64_t offset = 0, total = 0;
  for (int r = 0; r < comm.size(); ++r) {
    if (r < comm.rank()) offset += sizes[r];
    total += sizes[r];
  }
  if (size() > 0 && classes != c)
    throw InputError("metrics: ranks disagree on the number of classes (" + std::to_string(classes) + " and " +
                     std::to_string(c) + ")");
  std::vector<double> rows(static_cast<size_t>(total * (c + 1)), 0.0);
  for (int64_t i = 0; i < size(); ++i) {
    double* row = rows.data() + (offset + i) * (c + 1);
    std::copy_n(probabilities.data() + i * c, c, row);
    row[c] = labels[i];
  }
  comm.allReduce(std::span<double>(rows), dist::ReduceOp::Sum);
  classes = c;
  probabilities.assign(static_cast<size_t>(total * c), 0.0);
  labels.assign(static_cast<size_t>(total), 0);
  for (int64_t i = 0; i < total; ++i) {
    const double* row = rows.data() + i * (c + 1);
    std::copy_n(row, c, probabilities.data() + i * c);
    labels[i] = static_cast<int32_t>(row[c]);
  }
}

}  // namespace shoal::train
