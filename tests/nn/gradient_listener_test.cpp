// GradientListener: every parameter gradient reported once per backward pass, final when reported, last layer first.
#include <gtest/gtest.h>

#include <algorithm>

#include "shoal/nn/flat_parameters.hpp"
#include "shoal/nn/gradient_listener.hpp"
#include "shoal/nn/model_spec.hpp"
#include "shoal/nn/random.hpp"
#include "shoal/nn/zoo.hpp"
#include "support/bf16_kernels.hpp"
#include "support/fixtures.hpp"
#include "support/gradient_check.hpp"

using shoal::Shape;
using shoal::Tensor;
using shoal::testing::randomTensor;
namespace nn = shoal::nn;

namespace {

// Counts how often each element of the flat gradient was reported and keeps the values as
// reported, in report order.
struct Recorder final : nn::GradientListener {
  explicit Recorder(nn::FlatParameters& flat)
      : base(flat.grads().data()), times(static_cast<size_t>(flat.count()), 0),
        asReported(static_cast<size_t>(flat.count()), 0.0f) {}
  void gradientReady(const Tensor& grad) override {
    const int64_t begin = grad.data() - base;
    begins.push_back(begin);
    for (int64_t i = 0; i < grad.numel(); ++i) {
      ++times.at(static_cast<size_t>(begin + i));
      asReported[static_cast<size_t>(begin + i)] = grad.data()[i];
    }
  }
  const float* base;
  std::vector<int> times;
  std::vector<float> asReported;
  std::vector<int64_t> begins;
};

// For both backward and backwardParameters: every gradient element once, with its final value;
// the last parameter first; nothing once the listener is unset.
void expectEveryGradientReportedOnce(nn::Module& model, const Shape& sampleShape) {
  nn::FlatParameters& flat = model.flatParameters();
  Tensor input = randomTensor(sampleShape.withBatch(3), 5);
  for (bool parametersOnly : {false, true}) {
    Recorder recorder(flat);
    model.setGradientListener(&recorder);
    const Tensor& output = model.forward(input);
    Tensor gradOutput = randomTensor(output.shape(), 7);
    flat.discardGrads();
    if (parametersOnly)
      model.backwardParameters(input, gradOutput);
    else
      model.backward(input, gradOutput);
    const int64_t once = std::count(recorder.times.begin(), recorder.times.end(), 1);
    EXPECT_EQ(once, flat.count()) << "elements reported exactly once (backwardParameters " << parametersOnly << ")";
    EXPECT_EQ(recorder.asReported, flat.grads().toVector()) << "a gradient changed after it was reported";
    ASSERT_FALSE(recorder.begins.empty());
    EXPECT_EQ(recorder.begins.front(), flat.parameters().back().grad->data() - recorder.base)
        << "the last parameter first";
    model.setGradientListener(nullptr);
    const size_t reports = recorder.begins.size();
    model.forward(input);
    model.backward(input, gradOutput);
    EXPECT_EQ(recorder.begins.size(), reports) << "no reports without a listener";
  }
}

std::unique_ptr<nn::Module> zooModel(const std::string& name, const Shape& sample,
                                     const nn::ZooOptions& options = {}) {
  nn::manualSeed(3);
  return nn::buildModel(nn::zooSpec(name, sample, 10, options), sample);
}

TEST(GradientListener, MlpReportsEveryGradientOnceThroughFusedSteps) {
  auto model = zooModel("mlp", Shape{784});
  expectEveryGradientReportedOnce(*model, Shape{784});
}

// 784 x 1000 weights: the bias, then 8 blocks of 125 rows from the last; the values equal those
// of the one product computed without a listener, in fp32 and in bf16 precision.
void expectBlocksEqualOneProduct(nn::Precision precision) {
  auto model = zooModel("mlp", Shape{784});
  model->setPrecision(precision);
  nn::FlatParameters& flat = model->flatParameters();
  Tensor input = randomTensor(Shape{784}.withBatch(4), 5);
  Tensor gradOutput = randomTensor(model->forward(input).shape(), 7);
  flat.discardGrads();
  model->backwardParameters(input, gradOutput);
  Tensor whole = flat.grads().clone();
  Recorder recorder(flat);
  model->setGradientListener(&recorder);
  model->forward(input);
  flat.discardGrads();
  model->backwardParameters(input, gradOutput);
  model->setGradientListener(nullptr);
  EXPECT_EQ(recorder.begins.size(), 2u + 1u + 8u) << "second layer whole, first in 9 parts";
  const int64_t firstBias = flat.parameters()[1].grad->data() - recorder.base;
  EXPECT_EQ(recorder.begins[2], firstBias) << "the first layer's bias before its weight blocks";
  EXPECT_EQ(recorder.begins[3], 875 * 784) << "the last block of rows first";
  EXPECT_EQ(recorder.begins.back(), 0);
  shoal::testing::expectNear(flat.grads(), whole, 1e-5, 1e-6, "blocked vs one product");
}

TEST(GradientListener, ALargeLinearGradientIsReportedInBlocksWithTheSameValues) {
  expectBlocksEqualOneProduct(nn::Precision::F32);
}

TEST(GradientListener, Bf16LinearGradientBlocksEqualTheOneProduct) {
  SHOAL_SKIP_WITHOUT_BF16_KERNELS();
  expectBlocksEqualOneProduct(nn::Precision::BF16);
}

TEST(GradientListener, LeNetReportsThroughFusedConvolutions) {
  auto model = zooModel("lenet5", Shape{1, 28, 28});
  expectEveryGradientReportedOnce(*model, Shape{1, 28, 28});
}

TEST(GradientListener, GraphModelReportsEveryNode) {
  auto model = zooModel("resnet", Shape{1, 12, 12}, {.resnetWidths = {4, 8, 8}});
  expectEveryGradientReportedOnce(*model, Shape{1, 12, 12});
}

}  // namespace
