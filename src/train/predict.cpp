// Batched inference over a data set.
#include "shoal/train/predict.hpp"

#include <algorithm>
#include <numeric>
#include <vector>

#include "shoal/error.hpp"

namespace shoal::train {

Tensor predict(nn::Module& model, const data::Dataset& data, int64_t batchSize) {
  if (batchSize <= 0) throw UsageError("prediction batch size must be positive");
  bool wasTraining = model.isTraining();
  model.evaluate();
  Tensor outputs, input, target;
  std::vector<int64_t> indices;
  for (int64_t start = 0; start < data.size(); start += batchSize) {
    int64_t n = std::min(batchSize, data.size() - start);
    indices.resize(static_cast<size_t>(n));
    std::iota(indices.begin(), indices.end(), start);
    data.gather(indices, input, target);
    const Tensor& output = model.forward(input);
    if (!outputs.defined()) outputs = Tensor(output.shape().tail().withBatch(data.size()));
    outputs.narrow(start, n).copyFrom(output);
  }
  model.setTraining(wasTraining);
  if (!outputs.defined()) outputs = Tensor(model.outputShape(data.sampleShape()).withBatch(0));
  return outputs;
}

}  // namespace shoal::train
