// Per-layer statistics: norms and update ratios against hand-computed values, and only on due steps.
#include "shoal/nn/sequential.hpp"
#include "shoal/train/layer_statistics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>

#include "shoal/error.hpp"
#include "shoal/nn/class_nll_criterion.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/nn/linear.hpp"
#include "shoal/nn/log_softmax.hpp"
#include "shoal/nn/relu.hpp"
#include "shoal/optim/sgd.hpp"
#include "support/cli_runner.hpp"

using namespace shoal;

namespace {

std::vector<nlohmann::json> layerRecords(const std::string& dir) {
  std::vector<nlohmann::json> records;
  std::ifstream in(dir + "/metrics.jsonl");
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    if (j["type"] == "layers") records.push_back(j);
  }
  return records;
}

}  // namespace

TEST(LayerStatistics, NormsAndUpdateRatioMatchHandComputedValues) {
  nn::Sequential model = nn::Sequential().add(nn::Linear(2, 2)).add(nn::ReLU()).add(nn::Linear(2, 1));
  nn::FlatParameters& flat = model.flatParameters();
  ASSERT_EQ(flat.count(), 9);  // 4 + 2, then 2 + 1
  for (int64_t i = 0; i < 9; ++i) flat.values()[i] = static_cast<float>(i + 1), flat.grads()[i] = 0.5f;
  std::string dir = shoal::testing::makeTempDir("layer-stats");
  {
    train::RunLog log(dir, /*quiet=*/true);
    train::LayerStatistics stats(model, 3);
    train::TrainState state{.epoch = 1, .iteration = 2};
    stats.beforeStep(state);                             // the third step is due
    for (int64_t i = 0; i < 9; ++i) flat.values()[i] -= 0.1f;  // the "step"
    state.iteration = 3;
    stats.afterStep(state, log);
    stats.beforeStep(state);  // the fourth is not
    state.iteration = 4;
    stats.afterStep(state, log);
  }
  auto records = layerRecords(dir);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["iteration"], 3);
  const auto& layers = records[0]["layers"];
  ASSERT_EQ(layers.size(), 2u);  // ReLU has no parameters
  EXPECT_EQ(layers[0]["name"], "1 Linear(2 -> 2)");
  EXPECT_EQ(layers[1]["name"], "3 Linear(2 -> 1)");
  // Layer 1: weights 1..6 became 0.9..5.9; gradients 0.5 each.
  double before = 0, after = 0;
  for (int i = 1; i <= 6; ++i) before += i * i, after += (i - 0.1) * (i - 0.1);
  EXPECT_NEAR(layers[0]["weight_norm"].get<double>(), std::sqrt(after), 1e-4);
  EXPECT_NEAR(layers[0]["grad_norm"].get<double>(), std::sqrt(6 * 0.25), 1e-6);
  EXPECT_NEAR(layers[0]["update_norm"].get<double>(), std::sqrt(6 * 0.01), 1e-5);
  EXPECT_NEAR(layers[0]["update_ratio"].get<double>(), std::sqrt(6 * 0.01) / std::sqrt(before), 1e-6);
  // Layer 3: weights 7, 8, 9.
  EXPECT_NEAR(layers[1]["update_ratio"].get<double>(), std::sqrt(3 * 0.01) / std::sqrt(49 + 64 + 81.0), 1e-6);
}

TEST(LayerStatistics, RecordsTheFirstStepAndEveryNthDuringTraining) {
  std::mt19937_64 gen(3);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> x;
  std::vector<int32_t> y;
  for (int i = 0; i < 128; ++i) {
    float a = u(gen), b = u(gen);
    x.insert(x.end(), {a, b});
    y.push_back(a > b);
  }
  data::Dataset train = data::Dataset::fromFloats(Shape{2}, x, y, 2);
  nn::manualSeed(2);
  nn::Sequential model = nn::Sequential().add(nn::Linear(2, 8)).add(nn::ReLU()).add(nn::Linear(8, 2)).add(nn::LogSoftMax());
  std::string dir = shoal::testing::makeTempDir("layer-stats-train");
  {
    train::RunLog log(dir, /*quiet=*/true);
    train::Optimizer opt(model, train, nn::ClassNLLCriterion(), optim::SGD({.lr = 0.1}), train::MaxEpoch(2), 16);
    train::LayerStatistics stats(model, 4);
    opt.setRunLog(&log).addObserver(&stats);
    opt.optimize();
  }
  auto records = layerRecords(dir);
  ASSERT_EQ(records.size(), 5u);  // iterations 1, 4, 8, 12, 16 of 16
  EXPECT_EQ(records[0]["iteration"], 1);
  EXPECT_EQ(records[4]["iteration"], 16);
  for (const auto& r : records)
    for (const auto& layer : r["layers"]) {
      double ratio = layer["update_ratio"].get<double>();
      EXPECT_TRUE(std::isfinite(ratio) && ratio > 0 && ratio < 1) << layer;
      EXPECT_GT(layer["grad_norm"].get<double>(), 0) << layer;
    }
}

TEST(LayerStatistics, RejectsANonPositiveInterval) {
  nn::Sequential model = nn::Sequential().add(nn::Linear(2, 2));
  EXPECT_THROW(train::LayerStatistics(model, 0), UsageError);
}
