// Built-in models by name: "mlp" (the seeds' 784-1000-10 perceptron), "lenet5", "resnet" (a graph) and "tabular".
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "shoal/tensor/shape.hpp"

namespace shoal::nn {

// tabular: how an encoded table row is laid out (data::TableSchema): `dense` features (numeric,
// missing indicators, one-hot categories) first, then one category index per embedded column.
struct TableInput {
  int64_t dense = 0;
  struct Embedded {
    int64_t categories = 0;  // rows of its Embedding (the codes "missing" and "unknown" included)
    int64_t dim = 0;
  };
  std::vector<Embedded> embedded;
};

struct ZooOptions {
  std::vector<int64_t> hidden{1000};  // mlp hidden layer sizes
  std::vector<int64_t> resnetWidths{16, 32, 64};  // resnet: channels per stage (one block each)
  TableInput table;  // tabular: the row layout (no embedded columns: the mlp on the whole row)
};

bool isZooModel(const std::string& name);
std::vector<std::string> zooModelNames();
// The JSON specification of zoo model `name` for per-sample `inputShape` and `classes` outputs.
nlohmann::json zooSpec(const std::string& name, const Shape& inputShape, int64_t classes,
                       const ZooOptions& options = {});

}  // namespace shoal::nn
