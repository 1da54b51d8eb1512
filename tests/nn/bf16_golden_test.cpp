// bf16 training of the MLP and LeNet-5 against PyTorch's autocast: the losses of a few SGD steps (fixtures/golden_bf16.py).
#include <gtest/gtest.h>

#include <cmath>

#include "shoal/nn/class_nll_criterion.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/nn/model_spec.hpp"
#include "shoal/nn/zoo.hpp"
#include "shoal/optim/sgd.hpp"
#include "support/bf16_kernels.hpp"
#include "support/fixtures.hpp"

using shoal::DType;
using shoal::Shape;
using shoal::Tensor;

namespace {

// The fixture's formulas: parameter p element i = 0.5 sin(0.37 i + p + 1) / sqrt(fan-in).
void setWeights(shoal::nn::Module& model) {
  std::vector<shoal::nn::Parameter> params = model.parameters();
  for (size_t p = 0; p < params.size(); ++p) {
    Tensor& value = *params[p].value;
    const Tensor& weight = value.rank() > 1 ? value : *params[p - 1].value;
    const double fanIn = static_cast<double>(weight.numel() / weight.dim(0));
    float* v = value.data();
    for (int64_t i = 0; i < value.numel(); ++i)
      v[i] = static_cast<float>(0.5 * std::sin(0.37 * static_cast<double>(i) + static_cast<double>(p) + 1) /
                                std::sqrt(fanIn));
  }
}

// Pixel i = 0.5 + 0.5 sin(0.013 i), gathered straight into bf16 as a run does; label (3 s) % 10.
void makeBatch(int64_t n, DType inputType, Tensor& input, Tensor& target) {
  Tensor pixels(Shape{n, 1, 28, 28});
  for (int64_t i = 0; i < pixels.numel(); ++i)
    pixels[i] = static_cast<float>(0.5 + 0.5 * std::sin(0.013 * static_cast<double>(i)));
  input = pixels.toType(inputType);
  target = Tensor(Shape{n});
  for (int64_t s = 0; s < n; ++s) target[s] = static_cast<float>((3 * s) % 10);
}

void expectLossesMatchAutocast(const std::string& name) {
  nlohmann::json fixture = shoal::testing::loadFixture("bf16_training.json");
  const nlohmann::json& golden = fixture["models"][name];
  Shape sample{1, 28, 28};
  auto model = shoal::nn::buildModel(shoal::nn::zooSpec(name, sample, 10), sample, name);
  setWeights(*model);
  model->setPrecision(shoal::nn::Precision::BF16);
  // LeNet-5's convolutions (1 and 6 input planes) keep f32 (SpatialConvolution::kBf16MinPlanes)
  EXPECT_EQ(model->acceptsBf16Input(), name == "mlp");
  shoal::nn::FlatParameters& flat = model->flatParameters();
  shoal::optim::SGD sgd({.lr = fixture["lr"], .momentum = fixture["momentum"]});
  sgd.setLowPrecisionCopy(&flat.lowPrecisionValues());
  shoal::nn::ClassNLLCriterion nll;
  Tensor input, target;
  makeBatch(fixture["batch"], model->acceptsBf16Input() ? DType::BF16 : DType::F32, input, target);
  model->train();
  for (size_t step = 0; step < golden["bf16"].size(); ++step) {
    float loss = sgd.step(flat.values(), flat.grads(), [&] {
      flat.discardGrads();
      const Tensor& output = model->forward(input);
      float l = nll.forward(output, target);
      model->backwardParameters(input, nll.backward(output, target));
      return l;
    });
    const double expected = golden["bf16"][step];
    // bf16 products (8 significant bits) accumulated in f32 on both sides, rounded at different
    // places (PyTorch rounds the logits too): the losses agree to within 1e-2 relative.
    EXPECT_NEAR(loss, expected, 1e-2 * expected)
        << name << " step " << step + 1 << " (PyTorch fp32: " << golden["fp32"][step].get<double>()
        << ")";
  }
}

}  // namespace

TEST(Bf16Golden, MlpMatchesPyTorchAutocast) {
  SHOAL_SKIP_WITHOUT_BF16_KERNELS();
  expectLossesMatchAutocast("mlp");
}

TEST(Bf16Golden, LeNet5MatchesPyTorchAutocast) {
  SHOAL_SKIP_WITHOUT_BF16_KERNELS();
  expectLossesMatchAutocast("lenet5");
}
