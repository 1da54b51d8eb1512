// Criteria: PyTorch golden losses and gradients, finite-difference checks, target validation.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "shoal/error.hpp"
#include "shoal/nn/class_nll_criterion.hpp"
#include "shoal/nn/cross_entropy_criterion.hpp"
#include "shoal/nn/mse_criterion.hpp"
#include "support/fixtures.hpp"
#include "support/gradient_check.hpp"

namespace shoal {
namespace {

using nn::Reduction;

nn::Reduction reductionOf(const nlohmann::json& c) {
  return c.at("reduction") == "sum" ? Reduction::Sum : Reduction::Mean;
}

template <class C>
void expectGolden(const std::string& fixture, size_t cases) {
  nlohmann::json j = testing::loadFixture(fixture);
  ASSERT_EQ(j.at("cases").size(), cases) << fixture;
  for (const auto& c : j.at("cases")) {
    C criterion(reductionOf(c));
    Tensor input = testing::tensorFromJson(c.at("input"));
    Tensor target = testing::tensorFromJson(c.at("target"));
    std::string what = fixture + " " + c.at("name").get<std::string>() + " " + c.at("reduction").get<std::string>();
    double loss = c.at("loss").get<double>();
    EXPECT_NEAR(criterion.forward(input, target), loss, 1e-5 * std::abs(loss) + 1e-6) << what;
    testing::expectNear(criterion.backward(input, target), testing::tensorFromJson(c.at("grad")), 1e-5, 1e-7,
                        what + " gradient");
  }
}

TEST(ClassNLLCriterion, MatchesPyTorch) { expectGolden<nn::ClassNLLCriterion>("criteria_class_nll.json", 2); }
TEST(CrossEntropyCriterion, MatchesPyTorchIncludingHugeScores) {
  expectGolden<nn::CrossEntropyCriterion>("criteria_cross_entropy.json", 3);
}
TEST(MSECriterion, MatchesPyTorch) { expectGolden<nn::MSECriterion>("criteria_mse.json", 2); }

Tensor classTargets() { return Tensor::fromVector({5}, {0, 3, 1, 3, 2}); }

std::unique_ptr<nn::Criterion> weightedCriterion(const nlohmann::json& c) {
  std::vector<float> weights = c.at("weights").get<std::vector<float>>();
  if (c.at("criterion") == "nll") return std::make_unique<nn::ClassNLLCriterion>(reductionOf(c), weights);
  return std::make_unique<nn::CrossEntropyCriterion>(reductionOf(c), weights);
}

TEST(WeightedCriteria, MatchPyTorchsWeightedMeanAndSum) {
  nlohmann::json j = testing::loadFixture("criteria_weighted.json");
  ASSERT_EQ(j.at("cases").size(), 4u);
  for (const auto& c : j.at("cases")) {
    auto criterion = weightedCriterion(c);
    Tensor input = testing::tensorFromJson(c.at("input"));
    Tensor target = testing::tensorFromJson(c.at("target"));
    std::string what = c.at("name").get<std::string>() + " " + c.at("reduction").get<std::string>();
    double loss = c.at("loss").get<double>();
    EXPECT_NEAR(criterion->forward(input, target), loss, 1e-5 * std::abs(loss) + 1e-6) << what;
    testing::expectNear(criterion->backward(input, target), testing::tensorFromJson(c.at("grad")), 1e-5, 1e-7,
                        what + " gradient");
  }
}

TEST(WeightedCriteria, GradientsMatchFiniteDifferences) {
  const std::vector<float> weights{0.2f, 1.0f, 4.0f, 0.5f};
  for (Reduction r : {Reduction::Mean, Reduction::Sum}) {
    SCOPED_TRACE(r == Reduction::Mean ? "mean" : "sum");
    nn::ClassNLLCriterion nll(r, weights);
    testing::expectCriterionGradient(nll, testing::randomTensor({5, 4}, 11, -3.0f, 0.0f), classTargets());
    nn::CrossEntropyCriterion crossEntropy(r, weights);
    testing::expectCriterionGradient(crossEntropy, testing::randomTensor({5, 4}, 12, -2.0f, 2.0f), classTargets());
  }
}

TEST(WeightedCriteria, AHeavierClassPullsHarderAndEqualWeightsChangeNothing) {
  Tensor scores = testing::randomTensor({5, 4}, 13, -2.0f, 2.0f);
  Tensor plain = nn::CrossEntropyCriterion().backward(scores, classTargets());
  Tensor same = nn::CrossEntropyCriterion(Reduction::Mean, {3, 3, 3, 3}).backward(scores, classTargets());
  testing::expectNear(same, plain, 1e-6, 1e-7, "equal weights");
  // class 3 (samples 1 and 3) weighs 4, the others 1: its rows' gradients grow relative to the rest
  Tensor heavy = nn::CrossEntropyCriterion(Reduction::Mean, {1, 1, 1, 4}).backward(scores, classTargets());
  const double mean = 5.0 / 11.0;  // sum of weights 11 instead of 5 samples
  for (int64_t j = 0; j < 4; ++j) {
    EXPECT_NEAR(heavy[1 * 4 + j], 4 * mean * plain[1 * 4 + j], 1e-6);
    EXPECT_NEAR(heavy[0 * 4 + j], mean * plain[0 * 4 + j], 1e-6);
  }
}

TEST(WeightedCriteria, OneWeightPerClass) {
  nn::ClassNLLCriterion nll(Reduction::Mean, {1.0f, 2.0f});
  EXPECT_THROW(nll.forward(testing::randomTensor({5, 4}, 14, -3.0f, 0.0f), classTargets()), ShapeError);
}

TEST(Criteria, GradientsMatchFiniteDifferences) {
  for (Reduction r : {Reduction::Mean, Reduction::Sum}) {
    SCOPED_TRACE(r == Reduction::Mean ? "mean" : "sum");
    nn::ClassNLLCriterion nll(r);
    testing::expectCriterionGradient(nll, testing::randomTensor({5, 4}, 1, -3.0f, 0.0f), classTargets());
    nn::CrossEntropyCriterion crossEntropy(r);
    testing::expectCriterionGradient(crossEntropy, testing::randomTensor({5, 4}, 2, -2.0f, 2.0f), classTargets());
    nn::MSECriterion mse(r);
    testing::expectCriterionGradient(mse, testing::randomTensor({3, 2, 4}, 3), testing::randomTensor({3, 2, 4}, 4));
  }
}

TEST(Criteria, SumIsMeanTimesCount) {
  Tensor scores = testing::randomTensor({5, 4}, 5);
  float mean = nn::CrossEntropyCriterion().forward(scores, classTargets());
  EXPECT_NEAR(nn::CrossEntropyCriterion(Reduction::Sum).forward(scores, classTargets()), 5 * mean, 1e-5);
  float mse = nn::MSECriterion().forward(scores, Tensor(scores.shape()));
  EXPECT_NEAR(nn::MSECriterion(Reduction::Sum).forward(scores, Tensor(scores.shape())), 20 * mse, 1e-4);
}

TEST(Criteria, TypeNames) {
  EXPECT_EQ(nn::ClassNLLCriterion().typeName(), "ClassNLLCriterion");
  EXPECT_EQ(nn::CrossEntropyCriterion().typeName(), "CrossEntropyCriterion");
  EXPECT_EQ(nn::MSECriterion().typeName(), "MSECriterion");
  EXPECT_EQ(nn::MSECriterion(Reduction::Sum).reduction(), Reduction::Sum);
}

// The message of the Error `f` throws (fails the test when it throws nothing).
template <class F>
std::string errorMessage(F f) {
  try {
    f();
  } catch (const ShapeError& e) {
    ADD_FAILURE() << "expected a target error, got a shape error: " << e.what();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error thrown";
  return "";
}

TEST(Criteria, RejectsBadClassTargetsNamingTheSample) {
  Tensor input = testing::randomTensor({4, 3}, 6);
  for (float bad : {3.0f, -1.0f, 1.5f, std::numeric_limits<float>::quiet_NaN()}) {
    Tensor target = Tensor::fromVector({4}, {0, 2, bad, 1});
    std::string nll = errorMessage([&] { nn::ClassNLLCriterion().forward(input, target); });
    EXPECT_NE(nll.find("ClassNLLCriterion"), std::string::npos) << nll;
    EXPECT_NE(nll.find("sample 2"), std::string::npos) << nll;
    EXPECT_NE(nll.find("3 classes"), std::string::npos) << nll;
    std::string ce = errorMessage([&] { nn::CrossEntropyCriterion().backward(input, target); });
    EXPECT_NE(ce.find("CrossEntropyCriterion"), std::string::npos) << ce;
    EXPECT_NE(ce.find("sample 2"), std::string::npos) << ce;
  }
  std::string message = errorMessage([&] {
    nn::ClassNLLCriterion().forward(input, Tensor::fromVector({4}, {0, 1, 2, 7}));
  });
  EXPECT_NE(message.find("sample 3 is 7"), std::string::npos) << message;
}

TEST(Criteria, RejectsMismatchedShapes) {
  Tensor input = testing::randomTensor({4, 3}, 7);
  EXPECT_THROW(nn::ClassNLLCriterion().forward(input, Tensor::fromVector({3}, {0, 1, 2})), ShapeError);
  EXPECT_THROW(nn::CrossEntropyCriterion().forward(input.view({12}), Tensor(Shape{12})), ShapeError);
  EXPECT_THROW(nn::MSECriterion().forward(input, Tensor(Shape{3, 4})), ShapeError);
  EXPECT_NO_THROW(nn::MSECriterion().forward(input, Tensor(Shape{4, 3})));
}

TEST(Criteria, ReuseTheGradientBufferAtTheSameShape) {
  Tensor input = testing::randomTensor({5, 4}, 8);
  nn::CrossEntropyCriterion criterion;
  const float* first = criterion.backward(input, classTargets()).data();
  criterion.forward(input, classTargets());
  EXPECT_EQ(criterion.backward(input, classTargets()).data(), first);
  // A smaller batch fits in the same storage.
  EXPECT_EQ(criterion.backward(input.narrow(0, 2), classTargets().narrow(0, 2)).data(), first);
}

TEST(CrossEntropyCriterion, EqualsLogSoftMaxFollowedByClassNLL) {
  Tensor scores = testing::randomTensor({5, 4}, 9, -4.0f, 4.0f);
  Tensor logProbs(scores.shape());
  for (int64_t n = 0; n < 5; ++n) {
    double sum = 0;
    for (int64_t c = 0; c < 4; ++c) sum += std::exp(static_cast<double>(scores[n * 4 + c]));
    for (int64_t c = 0; c < 4; ++c) logProbs[n * 4 + c] = static_cast<float>(scores[n * 4 + c] - std::log(sum));
  }
  EXPECT_NEAR(nn::CrossEntropyCriterion().forward(scores, classTargets()),
              nn::ClassNLLCriterion().forward(logProbs, classTargets()), 1e-5);
}

}  // namespace
}  // namespace shoal
