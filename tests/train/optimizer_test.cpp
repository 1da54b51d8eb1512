// The trainer: learns a synthetic problem, honours triggers, validates, and is reproducible.
#include "shoal/train/optimizer.hpp"

#include <gtest/gtest.h>

#include <random>

#include "shoal/error.hpp"
#include "shoal/nn/class_nll_criterion.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/nn/linear.hpp"
#include "shoal/nn/log_softmax.hpp"
#include "shoal/nn/relu.hpp"
#include "shoal/nn/sequential.hpp"
#include "shoal/optim/sgd.hpp"
#include "shoal/train/predict.hpp"
#include "support/fixtures.hpp"

using namespace shoal;

namespace {

// Two classes split by the sign of x0 + x1, in 2-d.
data::Dataset halfPlanes(int64_t n, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> x;
  std::vector<int32_t> y;
  for (int64_t i = 0; i < n; ++i) {
    float a = u(gen), b = u(gen);
    x.push_back(a);
    x.push_back(b);
    y.push_back(a + b > 0);
  }
  return data::Dataset::fromFloats(Shape{2}, x, y, 2);
}

nn::Sequential smallNet() {
  return nn::Sequential().add(nn::Linear(2, 16)).add(nn::ReLU()).add(nn::Linear(16, 2)).add(nn::LogSoftMax());
}

}  // namespace

TEST(Optimizer, LearnsASyntheticProblemAndValidates) {
  nn::manualSeed(5);
  nn::Sequential model = smallNet();
  data::Dataset train = halfPlanes(512, 1), test = halfPlanes(256, 2);
  train::Optimizer opt(model, train, nn::ClassNLLCriterion(), optim::SGD({.lr = 0.1, .momentum = 0.9}),
                       train::MaxEpoch(15), 32);
  opt.setValidation(train::EveryEpoch(), test, {train::Top1Accuracy(), train::Loss()});
  train::RunLog quiet("", true);
  opt.setRunLog(&quiet);
  train::TrainSummary s = opt.optimize();
  EXPECT_EQ(s.epochs, 15);
  EXPECT_EQ(s.iterations, 15 * 16);
  ASSERT_EQ(s.validation.size(), 2u);
  EXPECT_GT(s.validation[0].value(), 0.95);
  EXPECT_EQ(s.validation[0].count, 256);
  EXPECT_LT(s.validation[1].value(), 0.2);
  EXPECT_FALSE(model.isTraining());
}

TEST(Optimizer, MaxIterationStopsMidEpoch) {
  nn::Sequential model = smallNet();
  data::Dataset train = halfPlanes(100, 1);
  train::Optimizer opt(model, train, nn::ClassNLLCriterion(), optim::SGD({.lr = 0.1}),
                       train::MaxIteration(7), 10);
  train::RunLog quiet("", true);
  EXPECT_EQ(opt.setRunLog(&quiet).optimize().iterations, 7);
}

TEST(Optimizer, SameSeedSameWeights) {
  auto trainOnce = [](uint64_t seed) {
    nn::manualSeed(11);
    nn::Sequential model = smallNet();
    data::Dataset train = halfPlanes(200, 1);
    train::Optimizer opt(model, train, nn::ClassNLLCriterion(), optim::SGD({.lr = 0.05, .momentum = 0.9}),
                         train::MaxEpoch(3), 16);
    train::RunLog quiet("", true);
    opt.setSeed(seed).setRunLog(&quiet).optimize();
    return model.flatParameters().values().toVector();
  };
  EXPECT_EQ(trainOnce(1), trainOnce(1));
  EXPECT_NE(trainOnce(1), trainOnce(2));
}

TEST(Optimizer, NonFiniteLossStopsWithEpochAndIteration) {
  nn::Sequential model = smallNet();
  data::Dataset train = halfPlanes(100, 1);
  train::Optimizer opt(model, train, nn::ClassNLLCriterion(), optim::SGD({.lr = 1e30}),
                       train::MaxEpoch(5), 10);
  train::RunLog quiet("", true);
  opt.setRunLog(&quiet);
  try {
    opt.optimize();
    FAIL() << "a learning rate of 1e30 must diverge";
  } catch (const DivergenceError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("epoch 1"), std::string::npos) << what;
    EXPECT_NE(what.find("iteration"), std::string::npos) << what;
  }
}

TEST(Optimizer, RejectsBadSettings) {
  nn::Sequential model = smallNet();
  data::Dataset train = halfPlanes(10, 1);
  EXPECT_THROW(train::Optimizer(model, train, nn::ClassNLLCriterion(), optim::SGD({}), train::MaxEpoch(1), 0),
               UsageError);
}

TEST(Predict, GivesOneOutputRowPerSampleInEvaluationMode) {
  nn::manualSeed(2);
  nn::Sequential model = smallNet();
  data::Dataset data = halfPlanes(37, 4);
  model.train();
  Tensor all = train::predict(model, data, 8);  // 4 full batches and a short one
  EXPECT_EQ(all.shape(), (Shape{37, 2}));
  EXPECT_TRUE(model.isTraining());
  Tensor input, target;
  std::vector<int64_t> last{36};
  data.gather(last, input, target);
  model.evaluate();
  // The batch's row up to rounding: a product over one row may take another kernel than over five.
  shoal::testing::expectNear(model.forward(input), all.narrow(36, 1), 1e-6, 1e-6,
                             "the last sample alone vs in predict's short batch");
  EXPECT_THROW(train::predict(model, data, 0), UsageError);
}
