// Model summary: output shapes, parameter counts and FLOPs of the zoo models against hand-computed values.
#include <gtest/gtest.h>

#include "shoal/nn/model_spec.hpp"
#include "shoal/nn/model_summary.hpp"
#include "shoal/nn/zoo.hpp"

using namespace shoal;

namespace {

nn::ModelSummary summaryOf(const std::string& name) {
  Shape input{1, 28, 28};
  auto model = nn::buildModel(nn::zooSpec(name, input, 10), input, name);
  return nn::summarize(*model, input);
}

}  // namespace

TEST(ModelSummary, MlpShapesParametersAndFlops) {
  nn::ModelSummary s = summaryOf("mlp");
  ASSERT_EQ(s.layers.size(), 5u);  // Flatten, Linear, ReLU, Linear, LogSoftMax
  const Shape shapes[] = {{784}, {1000}, {1000}, {10}, {10}};
  const int64_t params[] = {0, 784 * 1000 + 1000, 0, 1000 * 10 + 10, 0};
  const int64_t flops[] = {0, 2 * 784 * 1000 + 1000, 1000, 2 * 1000 * 10 + 10, 3 * 10};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(s.layers[i].outputShape, shapes[i]) << i;
    EXPECT_EQ(s.layers[i].parameters, params[i]) << i;
    EXPECT_EQ(s.layers[i].flops, flops[i]) << i;
  }
  EXPECT_EQ(s.parameters, 795010);
  EXPECT_EQ(s.flops, 1569000 + 1000 + 20010 + 30);
  EXPECT_EQ(s.layers[1].description, "Linear(784 -> 1000)");
}

TEST(ModelSummary, LeNet5ShapesParametersAndFlops) {
  nn::ModelSummary s = summaryOf("lenet5");
  ASSERT_EQ(s.layers.size(), 13u);
  const Shape shapes[] = {{6, 28, 28}, {6, 28, 28}, {6, 14, 14}, {16, 10, 10}, {16, 10, 10},
                          {16, 5, 5},  {400},       {120},       {120},        {84},
                          {84},        {10},        {10}};
  const int64_t params[] = {6 * 25 + 6, 0, 0, 16 * 6 * 25 + 16, 0, 0, 0, 400 * 120 + 120, 0, 120 * 84 + 84,
                            0, 84 * 10 + 10, 0};
  // conv: outputs * (2 * inChannels * 25 + bias); pooling: outputs * 4; elementwise: outputs.
  const int64_t flops[] = {6 * 28 * 28 * 51, 6 * 28 * 28, 6 * 14 * 14 * 4, 16 * 10 * 10 * 301, 16 * 10 * 10,
                           16 * 5 * 5 * 4,   0,           2 * 400 * 120 + 120, 120, 2 * 120 * 84 + 84,
                           84,               2 * 84 * 10 + 10, 30};
  for (size_t i = 0; i < 13; ++i) {
    EXPECT_EQ(s.layers[i].outputShape, shapes[i]) << i;
    EXPECT_EQ(s.layers[i].parameters, params[i]) << i;
    EXPECT_EQ(s.layers[i].flops, flops[i]) << i;
  }
  EXPECT_EQ(s.parameters, 61706);
  EXPECT_EQ(s.flops, 852400);
}

TEST(ModelSummary, TableListsLayersTotalsAndShares) {
  std::string table = summaryOf("mlp").table();
  EXPECT_NE(table.find("Linear(784 -> 1000)"), std::string::npos) << table;
  EXPECT_NE(table.find("785,000"), std::string::npos) << table;
  EXPECT_NE(table.find("795,010"), std::string::npos) << table;
  EXPECT_NE(table.find("98.7%"), std::string::npos) << table;  // 1,569,000 of 1,590,040 FLOPs
  EXPECT_NE(table.find("[1000]"), std::string::npos) << table;
}

TEST(ModelSummary, JsonCarriesTheSameRows) {
  nlohmann::json j = summaryOf("lenet5").toJson();
  ASSERT_EQ(j["layers"].size(), 13u);
  EXPECT_EQ(j["parameters"], 61706);
  EXPECT_EQ(j["layers"][3]["output"], nlohmann::json({16, 10, 10}));
  EXPECT_EQ(j["layers"][3]["parameters"], 2416);
  EXPECT_EQ(j["input"], nlohmann::json({1, 28, 28}));
}
