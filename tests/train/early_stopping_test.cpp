// Early stopping: when it stops, which direction is better, the best weights put back, and resume continuing it exactly.
#include <gtest/gtest.h>

#include <filesystem>

#include "shoal/error.hpp"
#include "shoal/io/checkpoint.hpp"
#include "shoal/nn/batch_normalization.hpp"
#include "shoal/nn/class_nll_criterion.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/nn/linear.hpp"
#include "shoal/nn/log_softmax.hpp"
#include "shoal/nn/random.hpp"
#include "shoal/nn/relu.hpp"
#include "shoal/nn/sequential.hpp"
#include "shoal/optim/adam.hpp"
#include "shoal/train/early_stopping.hpp"
#include "shoal/train/optimizer.hpp"
#include "support/cli_runner.hpp"
#include "support/synthetic_data.hpp"

using namespace shoal;

namespace {

// 3 classes in 5-d, hidden batch normalisation (state buffers to keep and put back).
nn::Sequential net() {
  nn::manualSeed(4);
  return nn::Sequential().add(nn::Linear(5, 64)).add(nn::BatchNormalization(64)).add(nn::ReLU())
      .add(nn::Linear(64, 3)).add(nn::LogSoftMax());
}

train::ValidationResult valueOf(const std::string& name, double v) { return {name, v, 1, true, {}}; }

// Feeds `values` of `name` to an early stopper with `patience`; returns the index of the
// validation after which it said stop (-1: never) and leaves the stopper's best in `best`.
int stopsAfter(std::vector<train::ValidationMethod> methods, const std::string& name,
               const std::vector<double>& values, int64_t patience, double& best, int64_t& bestEpoch) {
  nn::Sequential model = net();
  train::EarlyStopping early({patience, ""}, methods);
  for (size_t i = 0; i < values.size(); ++i)
    if (early.observe({valueOf(name, values[i])}, static_cast<int64_t>(i) + 1, 0, model)) {
      best = early.best(), bestEpoch = early.bestEpoch();
      return static_cast<int>(i);
    }
  best = early.best(), bestEpoch = early.bestEpoch();
  return -1;
}

// A small training set a 64-unit layer overfits within a few epochs, and validation data apart.
struct Overfit {
  data::Dataset train = shoal::testing::gaussianClasses(48, 3, 5, 5, 1.0f, 1.5f, /*seed=*/11);
  data::Dataset validation = shoal::testing::gaussianClasses(300, 3, 5, 5, 1.0f, 1.5f, /*seed=*/12);
};

// Trains with validation on Loss every epoch until `end`, early stopping when `patience` > 0,
// checkpointing every epoch into `dir` when given.
train::TrainSummary trainOverfit(nn::Sequential& model, const Overfit& data, train::Trigger end, int64_t patience,
                                 const std::string& dir = "", const io::LoadedCheckpoint* resume = nullptr) {
  auto adam = std::make_shared<optim::Adam>(optim::Adam::Options{.lr = 0.03});
  train::Optimizer opt(model, data.train, std::make_shared<nn::ClassNLLCriterion>(), adam, end, 8);
  train::RunLog quiet("", true);
  opt.setSeed(5).setRunLog(&quiet).setValidation(train::EveryEpoch(), data.validation, {train::Loss()});
  if (patience > 0) opt.setEarlyStopping({patience, "loss"});
  if (!dir.empty()) opt.setCheckpointing({dir, 0, 100}, io::ModelInfo{Shape{5}, 3, {}, {}});
  if (resume) opt.resumeFrom(resume->checkpoint, resume->path);
  return opt.optimize();
}

}  // namespace

TEST(EarlyStopping, StopsAfterPatienceValidationsWithoutAStrictImprovement) {
  double best = 0;
  int64_t epoch = 0;
  // AUC: higher is better; an equal value is no improvement.
  EXPECT_EQ(stopsAfter({train::AUC()}, "AUC", {0.5, 0.6, 0.55, 0.6, 0.61}, 2, best, epoch), 3);
  EXPECT_EQ(best, 0.6);
  EXPECT_EQ(epoch, 2);
  EXPECT_EQ(stopsAfter({train::AUC()}, "AUC", {0.5, 0.6, 0.55, 0.6, 0.61, 0.60, 0.59, 0.58}, 3, best, epoch), 7);
  EXPECT_EQ(best, 0.61);
  EXPECT_EQ(epoch, 5);
  // Loss and MAE: lower is better.
  EXPECT_EQ(stopsAfter({train::Loss()}, "Loss", {1.0, 0.9, 0.95, 0.97}, 2, best, epoch), 3);
  EXPECT_EQ(best, 0.9);
  EXPECT_EQ(stopsAfter({train::MAE()}, "MAE", {1.0, 0.9, 0.95}, 1, best, epoch), 2);
  EXPECT_EQ(best, 0.9);
  EXPECT_EQ(stopsAfter({train::Loss()}, "Loss", {1.0, 0.9, 0.8, 0.7}, 1, best, epoch), -1);
  EXPECT_EQ(best, 0.7);
  // A NaN never counts as the best.
  EXPECT_EQ(stopsAfter({train::LogLoss()}, "LogLoss", {0.7, std::nan(""), 0.6}, 3, best, epoch), -1);
  EXPECT_EQ(best, 0.6);
}

TEST(EarlyStopping, PutsTheBestWeightsAndStateBuffersBack) {
  nn::Sequential model = net();
  train::EarlyStopping early({1, "auc"}, {train::Loss(), train::AUC()});
  EXPECT_EQ(early.metric(), "AUC");
  EXPECT_FALSE(early.restoreBest(model));  // nothing kept yet
  const auto bestValues = model.flatParameters().values().toVector();
  Tensor& runningMean = *model.stateBuffers()[0].value;
  runningMean.fill(0.25f);
  early.observe({valueOf("Loss", 1.0), valueOf("AUC", 0.8)}, 1, 10, model);
  EXPECT_FALSE(early.restoreBest(model));  // the model holds the best weights

  model.flatParameters().values().fill(3.0f);
  runningMean.fill(-1.0f);
  EXPECT_TRUE(early.observe({valueOf("Loss", 0.5), valueOf("AUC", 0.7)}, 2, 20, model));
  ASSERT_TRUE(early.restoreBest(model));
  EXPECT_EQ(model.flatParameters().values().toVector(), bestValues);
  EXPECT_EQ(runningMean[0], 0.25f);
  EXPECT_EQ(early.describeStop(), "AUC did not improve on 0.8000 (epoch 1, iteration 10) for 1 validations");
}

TEST(EarlyStopping, RefusesWhatCannotWork) {
  EXPECT_THROW(train::EarlyStopping({0, ""}, {train::Loss()}), UsageError);
  EXPECT_THROW(train::EarlyStopping({2, "auc"}, {train::Loss()}), UsageError);
  EXPECT_THROW(train::EarlyStopping({2, "accuracy please"}, {train::Loss()}), UsageError);
  nn::Sequential model = net();
  auto adam = std::make_shared<optim::Adam>(optim::Adam::Options{});
  Overfit data;
  train::Optimizer opt(model, data.train, std::make_shared<nn::ClassNLLCriterion>(), adam, train::MaxEpoch(2), 8);
  opt.setEarlyStopping({2, ""});  // without validation
  EXPECT_THROW(opt.optimize(), UsageError);
}

// The stopped run's model is bit for bit the model of a run that trained exactly to the best
// epoch; a run resumed from a checkpoint between the best epoch and the stop ends the same way.
TEST(EarlyStopping, KeepsTheBestEpochsModelAndResumesExactly) {
  Overfit data;
  nn::Sequential stopped = net();
  train::TrainSummary s = trainOverfit(stopped, data, train::MaxEpoch(200), 4);
  ASSERT_TRUE(s.stoppedEarly);
  ASSERT_GT(s.bestEpoch, 0);
  EXPECT_EQ(s.epochs, s.bestEpoch + 4);

  nn::Sequential toBest = net();
  train::TrainSummary plain = trainOverfit(toBest, data, train::MaxEpoch(s.bestEpoch), 0);
  EXPECT_FALSE(plain.stoppedEarly);
  EXPECT_EQ(stopped.flatParameters().values().toVector(), toBest.flatParameters().values().toVector());
  EXPECT_EQ(stopped.stateBuffers()[0].value->toVector(), toBest.stateBuffers()[0].value->toVector());

  // Checkpoints every epoch; resume from the one two epochs past the best (mid-patience).
  std::string dir = shoal::testing::makeTempDir("early");
  nn::Sequential first = net();
  trainOverfit(first, data, train::MaxEpoch(s.bestEpoch + 2), 4, dir);
  io::LoadedCheckpoint loaded = io::loadNewestCheckpoint(dir, [](const std::string& w) {
    ADD_FAILURE() << "unexpected warning: " << w;
  });
  nn::Sequential resumed = net();
  io::restoreInto(resumed, loaded.checkpoint, loaded.path);
  train::TrainSummary r = trainOverfit(resumed, data, train::MaxEpoch(200), 4, "", &loaded);
  EXPECT_TRUE(r.stoppedEarly);
  EXPECT_EQ(r.bestEpoch, s.bestEpoch);
  EXPECT_EQ(resumed.flatParameters().values().toVector(), stopped.flatParameters().values().toVector());

  // Resumed from the checkpoint the stop wrote, nothing is left to train.
  nn::Sequential whole = net();
  trainOverfit(whole, data, train::MaxEpoch(200), 4, dir);
  loaded = io::loadNewestCheckpoint(dir, [](const std::string&) {});
  nn::Sequential after = net();
  io::restoreInto(after, loaded.checkpoint, loaded.path);
  train::TrainSummary again = trainOverfit(after, data, train::MaxEpoch(200), 4, "", &loaded);
  EXPECT_TRUE(again.stoppedEarly);
  EXPECT_EQ(again.iterations, s.iterations);
  EXPECT_EQ(after.flatParameters().values().toVector(), stopped.flatParameters().values().toVector());
  std::filesystem::remove_all(dir);
}
