// ScoreTable: every evaluated sample's class probabilities and label, for metrics that rank or threshold them.
#pragma once
#include <cstdint>
#include <vector>

#include "shoal/dist/communicator.hpp"
#include "shoal/tensor/tensor.hpp"

namespace shoal::train {

struct ScoreTable {
  int64_t classes = 0;
  std::vector<double> probabilities;  // [size(), classes] row-major
  std::vector<int32_t> labels;        // [size()]

  int64_t size() const { return static_cast<int64_t>(labels.size()); }
  // Appends a batch: `output` [N, C] a classifier's scores (raw or log-probabilities: each row's
  // softmax is taken, which gives the same probabilities for both; with `probabilities`, a
  // SoftMax's output, taken as it is), `target` [N] class indices. InputError for a
  // single-column output or a label outside 0..C-1.
  void add(const Tensor& output, const Tensor& target, bool probabilities = false);
  // Each sample's positive-class probability for class `cls` and whether it is of that class.
  std::vector<double> probabilitiesOf(int64_t cls) const;
  std::vector<uint8_t> isClass(int64_t cls) const;
  // The predicted class of every sample: for two classes, 1 where P(class 1) >= threshold;
  // otherwise the most probable class (the first among ties).
  std::vector<int32_t> predictions(double threshold) const;
  // Every rank ends with the samples of all ranks, in rank order.
  void gatherAcrossRanks(dist::Communicator& comm);
};

}  // namespace shoal::train
