// StepProfiler: per-layer and per-phase times in the epoch record, consistent with the step time.
#include "shoal/nn/sequential.hpp"
#include "shoal/train/step_profiler.hpp"

#include <gtest/gtest.h>

#include "shoal/nn/class_nll_criterion.hpp"
#include "shoal/nn/linear.hpp"
#include "shoal/nn/log_softmax.hpp"
#include "shoal/nn/relu.hpp"
#include "shoal/optim/sgd.hpp"

namespace shoal::train {
namespace {

// Keeps a copy of each epoch record (added after the profiler, so it sees its fields).
class RecordKeeper : public StepObserver {
 public:
  void atEpochEnd(const TrainState&, nlohmann::json& record) override { records.push_back(record); }
  std::vector<nlohmann::json> records;
};

data::Dataset blobs(int64_t count) {
  std::vector<float> features(static_cast<size_t>(count * 4));
  std::vector<int32_t> labels(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    labels[i] = static_cast<int32_t>(i % 3);
    for (int64_t f = 0; f < 4; ++f) features[i * 4 + f] = static_cast<float>((i * 7 + f * 3) % 11) / 11 + labels[i];
  }
  return data::Dataset::fromFloats(Shape{4}, std::move(features), std::move(labels), 3);
}

TEST(StepProfiler, EpochRecordHoldsPerLayerAndPhaseTimes) {
  nn::manualSeed(2);
  nn::Sequential model;
  model.add(nn::Linear(4, 16)).add(nn::ReLU()).add(nn::Linear(16, 3)).add(nn::LogSoftMax());
  data::Dataset data = blobs(64);
  RunLog quiet("", true);
  StepProfiler profiler(model, quiet);
  RecordKeeper keeper;
  Optimizer opt(model, data, nn::ClassNLLCriterion(), optim::SGD({.lr = 0.1}), MaxEpoch(2), 8);
  opt.setRunLog(&quiet).addObserver(&profiler).addObserver(&keeper);
  opt.setValidation(EveryEpoch(), data, {Top1Accuracy()});  // validation passes are not counted
  opt.optimize();

  ASSERT_EQ(keeper.records.size(), 2u);
  for (const nlohmann::json& record : keeper.records) {
    const nlohmann::json& p = record.at("profile");
    const nlohmann::json& layers = p.at("layers");
    ASSERT_EQ(layers.size(), model.size());
    EXPECT_EQ(layers[0].at("name"), "layer 1 (Linear(4 -> 16))");
    double stepMs = p.at("step_ms").get<double>();
    double sum = p.at("data_ms").get<double>() + p.at("criterion_ms").get<double>() +
                 p.at("optimizer_ms").get<double>();
    double shares = 0;
    for (const nlohmann::json& layer : layers) {
      EXPECT_GE(layer.at("forward_ms").get<double>(), 0);
      EXPECT_GE(layer.at("backward_ms").get<double>(), 0);
      sum += layer.at("forward_ms").get<double>() + layer.at("backward_ms").get<double>();
      shares += layer.at("share").get<double>();
    }
    EXPECT_GT(layers[0].at("forward_ms").get<double>(), 0);
    EXPECT_GT(stepMs, 0);
    EXPECT_LE(sum, stepMs * 1.0001);  // the parts fit inside the step
    EXPECT_GT(sum, stepMs * 0.5);     // and make up most of it
    EXPECT_LE(shares, 1.0001);
  }
}

}  // namespace
}  // namespace shoal::train
