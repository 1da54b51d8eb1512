// Classification metrics against scikit-learn's values (tests/fixtures/golden_metrics.py), and the validation methods built on them.
#include <gtest/gtest.h>

#include <cmath>

#include "shoal/error.hpp"
#include "shoal/nn/class_nll_criterion.hpp"
#include "shoal/train/binary_metrics.hpp"
#include "shoal/train/validation.hpp"
#include "support/fixtures.hpp"

namespace shoal::train {
namespace {

const nlohmann::json& golden(const std::string& name) {
  static const nlohmann::json cases = testing::loadFixture("golden_metrics.json").at("cases");
  for (const auto& c : cases)
    if (c.at("name") == name) return c;
  throw std::runtime_error("no golden case " + name);
}

// A ScoreTable holding the case's probabilities (two classes: 1 - p and p).
ScoreTable tableOf(const nlohmann::json& c) {
  ScoreTable t;
  t.classes = c.at("classes").get<int64_t>();
  t.labels = c.at("labels").get<std::vector<int32_t>>();
  if (t.classes == 2) {
    for (double p : c.at("positive_probability").get<std::vector<double>>()) t.probabilities.insert(t.probabilities.end(), {1 - p, p});
  } else {
    t.probabilities = c.at("probabilities").get<std::vector<double>>();
  }
  return t;
}

double valueOf(const ValidationMethod& m, const ScoreTable& t, std::vector<double>* perClass = nullptr) {
  std::vector<double> classes;
  double v = m.fromScores(t, classes);
  if (perClass) *perClass = classes;
  return v;
}

class BinaryGolden : public ::testing::TestWithParam<const char*> {};

TEST_P(BinaryGolden, MatchesScikitLearn) {
  const nlohmann::json& c = golden(GetParam());
  const std::vector<double> p = c.at("positive_probability").get<std::vector<double>>();
  std::vector<uint8_t> positive;
  for (int y : c.at("labels").get<std::vector<int>>()) positive.push_back(static_cast<uint8_t>(y));
  EXPECT_NEAR(metrics::rocAuc(p, positive), c.at("roc_auc").get<double>(), 1e-12);
  EXPECT_NEAR(metrics::averagePrecision(p, positive), c.at("average_precision").get<double>(), 1e-12);
  const metrics::Curve roc = metrics::rocCurve(p, positive);
  const auto fpr = c.at("roc_fpr").get<std::vector<double>>(), tpr = c.at("roc_tpr").get<std::vector<double>>();
  ASSERT_EQ(roc.x.size(), fpr.size());
  for (size_t k = 0; k < fpr.size(); ++k) {
    EXPECT_NEAR(roc.x[k], fpr[k], 1e-12) << k;
    EXPECT_NEAR(roc.y[k], tpr[k], 1e-12) << k;
  }
  const double threshold = c.at("threshold").get<double>();
  const ScoreTable t = tableOf(c);
  EXPECT_NEAR(valueOf(AUC(), t), c.at("roc_auc").get<double>(), 1e-12);
  EXPECT_NEAR(valueOf(PrAUC(), t), c.at("average_precision").get<double>(), 1e-12);
  EXPECT_NEAR(valueOf(LogLoss(), t), c.at("log_loss").get<double>(), 1e-9);
  EXPECT_NEAR(valueOf(Precision(threshold), t), c.at("precision").get<double>(), 1e-12);
  EXPECT_NEAR(valueOf(Recall(threshold), t), c.at("recall").get<double>(), 1e-12);
  EXPECT_NEAR(valueOf(F1(threshold), t), c.at("f1").get<double>(), 1e-12);
  const metrics::ConfusionMatrix m = metrics::confusionMatrix(t.predictions(threshold), t.labels, 2);
  const auto expected = c.at("confusion").get<std::vector<std::vector<int64_t>>>();
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b) EXPECT_EQ(m.at(a, b), expected[a][b]) << a << "," << b;
}

INSTANTIATE_TEST_SUITE_P(Cases, BinaryGolden, ::testing::Values("binary", "binary_ties", "imbalanced"));

TEST(MulticlassGolden, OneClassAgainstTheRestMatchesScikitLearn) {
  const nlohmann::json& c = golden("four_classes");
  const ScoreTable t = tableOf(c);
  std::vector<double> perClass;
  EXPECT_NEAR(valueOf(AUC(), t, &perClass), c.at("roc_auc_macro").get<double>(), 1e-12);
  const auto aucs = c.at("roc_auc_per_class").get<std::vector<double>>();
  ASSERT_EQ(perClass.size(), 4u);
  for (size_t k = 0; k < 4; ++k) EXPECT_NEAR(perClass[k], aucs[k], 1e-12) << k;
  EXPECT_NEAR(valueOf(PrAUC(), t, &perClass), c.at("average_precision_macro").get<double>(), 1e-12);
  const auto aps = c.at("average_precision_per_class").get<std::vector<double>>();
  for (size_t k = 0; k < 4; ++k) EXPECT_NEAR(perClass[k], aps[k], 1e-12) << k;
  EXPECT_NEAR(valueOf(LogLoss(), t), c.at("log_loss").get<double>(), 1e-9);
  EXPECT_NEAR(valueOf(Precision(), t, &perClass), c.at("precision_macro").get<double>(), 1e-12);
  EXPECT_NEAR(valueOf(Recall(), t), c.at("recall_macro").get<double>(), 1e-12);
  EXPECT_NEAR(valueOf(F1(), t, &perClass), c.at("f1_macro").get<double>(), 1e-12);
  const auto f1s = c.at("f1_per_class").get<std::vector<double>>();
  for (size_t k = 0; k < 4; ++k) EXPECT_NEAR(perClass[k], f1s[k], 1e-12) << k;
  const metrics::ConfusionMatrix m = metrics::confusionMatrix(t.predictions(0.5), t.labels, 4);
  const auto expected = c.at("confusion").get<std::vector<std::vector<int64_t>>>();
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 4; ++b) EXPECT_EQ(m.at(a, b), expected[a][b]) << a << "," << b;
}

TEST(BinaryMetrics, PerfectAndReversedRankings) {
  const std::vector<double> scores{0.1, 0.4, 0.35, 0.8};
  EXPECT_DOUBLE_EQ(metrics::rocAuc(scores, std::vector<uint8_t>{0, 1, 0, 1}), 1.0);
  EXPECT_DOUBLE_EQ(metrics::rocAuc(scores, std::vector<uint8_t>{1, 0, 1, 0}), 0.0);
  EXPECT_DOUBLE_EQ(metrics::rocAuc(std::vector<double>{0.5, 0.5}, std::vector<uint8_t>{0, 1}), 0.5);  // a tie
}

TEST(BinaryMetrics, OneClassIsAClearError) {
  try {
    metrics::rocAuc(std::vector<double>{0.2, 0.7}, std::vector<uint8_t>{1, 1});
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("needs both classes"), std::string::npos) << e.what();
  }
  EXPECT_THROW(metrics::averagePrecision(std::vector<double>{0.2}, std::vector<uint8_t>{0}), InputError);
  EXPECT_THROW(metrics::rocAuc(std::vector<double>{0.2, std::nan("")}, std::vector<uint8_t>{0, 1}), InputError);
}

TEST(BinaryMetrics, ThinnedCurveKeepsItsEnds) {
  metrics::Curve c;
  for (int k = 0; k <= 1000; ++k) {
    c.x.push_back(k / 1000.0);
    c.y.push_back(k / 1000.0);
    c.thresholds.push_back(1 - k / 1000.0);
  }
  metrics::Curve t = metrics::thinned(c, 11);
  ASSERT_EQ(t.x.size(), 11u);
  EXPECT_EQ(t.x.front(), 0.0);
  EXPECT_EQ(t.x.back(), 1.0);
  EXPECT_DOUBLE_EQ(t.x[5], 0.5);
}

TEST(ScoreTable, SoftmaxOfScoresOrLogProbabilitiesGivesTheSameProbabilities) {
  Tensor logits = Tensor::fromVector({2, 3}, {1.0f, 2.0f, 0.5f, -1.0f, 0.0f, 3.0f});
  Tensor target = Tensor::fromVector({2}, {1, 2});
  ScoreTable fromLogits, fromLogProbs;
  fromLogits.add(logits, target);
  Tensor logProbs = Tensor::fromVector({2, 3}, {0, 0, 0, 0, 0, 0});
  for (int i = 0; i < 2; ++i) {
    double sum = 0;
    for (int c = 0; c < 3; ++c) sum += std::exp(logits[i * 3 + c]);
    for (int c = 0; c < 3; ++c) logProbs[i * 3 + c] = static_cast<float>(logits[i * 3 + c] - std::log(sum));
  }
  fromLogProbs.add(logProbs, target);
  for (size_t k = 0; k < 6; ++k) EXPECT_NEAR(fromLogits.probabilities[k], fromLogProbs.probabilities[k], 1e-6);
  EXPECT_NEAR(fromLogits.probabilities[0] + fromLogits.probabilities[1] + fromLogits.probabilities[2], 1.0, 1e-12);
}

TEST(ScoreTable, ASoftMaxOutputIsTakenAsItIs) {
  ScoreTable t;
  t.add(Tensor::fromVector({1, 2}, {0.25f, 0.75f}), Tensor::fromVector({1}, {1}), /*probabilities=*/true);
  EXPECT_NEAR(t.probabilities[1], 0.75, 1e-7);
}

TEST(ScoreTable, OneColumnOutputIsRefused) {
  ScoreTable t;
  EXPECT_THROW(t.add(Tensor::fromVector({2, 1}, {0.3f, 0.8f}), Tensor::fromVector({2}, {0, 1})), InputError);
}

TEST(ValidationMethods, NamesAndAliases) {
  EXPECT_EQ(validationMethodNamed("auc").name(), "AUC");
  EXPECT_EQ(validationMethodNamed("PR_AUC").name(), "PR_AUC");
  EXPECT_EQ(validationMethodNamed("logloss").name(), "LogLoss");
  EXPECT_EQ(validationMethodNamed("Top1Accuracy").name(), "Top1Accuracy");
  EXPECT_EQ(validationMethodNamed("f1", 0.3).threshold(), 0.3);
  EXPECT_THROW(validationMethodNamed("gini"), UsageError);
  EXPECT_THROW(F1(1.5), UsageError);
}

TEST(ValidationMethods, MaeIsTheMeanAbsoluteErrorOverAllOutputs) {
  EXPECT_EQ(validationMethodNamed("mae").name(), "MAE");
  nn::ClassNLLCriterion unused;  // MAE reads no criterion
  double sum = 0, count = 0;
  // |0.5-1| + |2-2| = 0.5 and |-1-1| + |3-0| = 5 over 2 outputs each: row means 0.25 and 2.5
  MAE().accumulate(Tensor::fromVector({2, 2}, {0.5f, 2, -1, 3}), Tensor::fromVector({2, 2}, {1, 2, 1, 0}), unused,
                   sum, count);
  EXPECT_DOUBLE_EQ(sum, 2.75);
  EXPECT_EQ(count, 2);
  EXPECT_THROW(MAE().accumulate(Tensor::fromVector({2, 2}, {0, 0, 0, 0}), Tensor::fromVector({2}, {1, 0}), unused,
                                sum, count),
               ShapeError);
}

}  // namespace
}  // namespace shoal::train
