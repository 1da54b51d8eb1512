// Top-k accuracy and loss accumulation, and batched evaluation.
#include "shoal/train/validation.hpp"

#include <algorithm>

#include "shoal/data/in_order_batches.hpp"
#include "shoal/error.hpp"

namespace shoal::train {
namespace {

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

}  // namespace

std::string ValidationMethod::name() const {
  switch (kind_) {
    case Kind::Top1Accuracy: return "Top1Accuracy";
    case Kind::Top5Accuracy: return "Top5Accuracy";
    case Kind::Loss: return "Loss";
  }
  return "?";
}

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
  }
  count += n;
}

std::vector<ValidationResult> evaluate(nn::Module& model, const data::Dataset& data,
                                       const std::vector<ValidationMethod>& methods,
                                       nn::Criterion& criterion, int64_t batchSize) {
  if (!data.hasLabels()) throw UsageError("evaluation needs labelled data");
  std::vector<ValidationResult> results;
  for (const auto& m : methods) results.push_back({m.name()});
  bool wasTraining = model.isTraining();
  model.evaluate();
  // batches go straight into bf16 when the model's first products read bf16
  Tensor input = model.inputBuffer(), target;
  data::forEachBatchInOrder(data, batchSize, input, target, [&](int64_t) {
    const Tensor& output = model.forward(input);
    for (size_t i = 0; i < methods.size(); ++i)
      methods[i].accumulate(output, target, criterion, results[i].sum, results[i].count);
  });
  model.setTraining(wasTraining);
  return results;
}

}  // namespace shoal::train
