// Built-in models by name: "mlp" (the seeds' 784-1000-10 perceptron), "lenet5" and "resnet" (a graph).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "shoal/tensor/shape.hpp"

namespace shoal::nn {

struct ZooOptions {
  std::vector<int64_t> hidden{1000};  // mlp hidden layer sizes
  std::vector<int64_t> resnetWidths{16, 32, 64};  // resnet: channels per stage (one block each)
};

bool isZooModel(const std::string& name);
std::vector<std::string> zooModelNames();
// The JSON specification of zoo model `name` for per-sample `inputShape` and `classes` outputs.
nlohmann::json zooSpec(const std::string& name, const Shape& inputShape, int64_t classes,
                       const ZooOptions& options = {});

}  // namespace shoal::nn
