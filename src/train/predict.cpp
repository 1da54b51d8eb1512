// Batched inference over a data set.
#include "shoal/train/predict.hpp"

#include "shoal/data/in_order_batches.hpp"

namespace shoal::train {

Tensor predict(nn::Module& model, const data::Dataset& data, int64_t batchSize) {
  bool wasTraining = model.isTraining();
  model.evaluate();
  Tensor outputs, target;
  Tensor input = model.inputBuffer();  // as in training
  data::forEachBatchInOrder(data, batchSize, input, target, [&](int64_t start) {
    const Tensor& output = model.forward(input);
    if (!outputs.defined()) outputs = Tensor(output.shape().tail().withBatch(data.size()));
    outputs.narrow(start, output.dim(0)).copyFrom(output);
  });
  model.setTraining(wasTraining);
  if (!outputs.defined()) outputs = Tensor(model.outputShape(data.sampleShape()).withBatch(0));
  return outputs;
}

}  // namespace shoal::train
