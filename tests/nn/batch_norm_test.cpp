// Batch normalisation tests: golden values (training, running stats, eval), gradients, shapes.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "shoal/error.hpp"
#include "shoal/nn/batch_normalization.hpp"
#include "shoal/nn/spatial_batch_normalization.hpp"
#include "support/fixtures.hpp"
#include "support/gradient_check.hpp"

namespace shoal {
namespace {

using nn::BatchNormalization;
using nn::SpatialBatchNormalization;
using testing::expectNear;
using testing::loadFixture;
using testing::randomTensor;
using testing::tensorFromJson;

void checkGolden(BatchNormalization& bn, const nlohmann::json& f) {
  bn.weight().copyFrom(tensorFromJson(f["weight"]));
  bn.bias().copyFrom(tensorFromJson(f["bias"]));
  bn.train();
  Tensor input = tensorFromJson(f["input"]);
  expectNear(bn.forward(input), tensorFromJson(f["output"]), 1e-4, 1e-5, "training output");
  expectNear(bn.backward(input, tensorFromJson(f["gradOutput"])), tensorFromJson(f["gradInput"]),
             1e-4, 1e-4, "gradInput");
  expectNear(bn.gradWeight(), tensorFromJson(f["gradWeight"]), 1e-4, 1e-4, "gradWeight");
  expectNear(bn.gradBias(), tensorFromJson(f["gradBias"]), 1e-4, 1e-4, "gradBias");
  for (const auto& step : f["steps"]) bn.forward(tensorFromJson(step));
  expectNear(bn.runningMean(), tensorFromJson(f["runningMean"]), 1e-4, 1e-5, "runningMean");
  expectNear(bn.runningVar(), tensorFromJson(f["runningVar"]), 1e-4, 1e-5, "runningVar");
  bn.evaluate();
  Tensor evalInput = tensorFromJson(f["evalInput"]);
  expectNear(bn.forward(evalInput), tensorFromJson(f["evalOutput"]), 1e-4, 1e-5, "eval output");
  expectNear(bn.backward(evalInput, tensorFromJson(f["evalGradOutput"])),
             tensorFromJson(f["evalGradInput"]), 1e-4, 1e-5, "eval gradInput");
  // Evaluation leaves the running statistics alone.
  expectNear(bn.runningMean(), tensorFromJson(f["runningMean"]), 1e-4, 1e-5,
             "runningMean after eval");
}

TEST(SpatialBatchNormalization, MatchesPyTorch) {
  nlohmann::json f = loadFixture("conv_batchnorm_spatial.json");
  SpatialBatchNormalization bn(f["args"]["n"], f["args"]["eps"], f["args"]["momentum"]);
  checkGolden(bn, f);
}

TEST(BatchNormalization, MatchesPyTorch) {
  nlohmann::json f = loadFixture("conv_batchnorm.json");
  BatchNormalization bn(f["args"]["n"], f["args"]["eps"], f["args"]["momentum"]);
  checkGolden(bn, f);
}

// A non-trivial affine transform so that the weight and bias gradients are exercised.
template <class BN>
void randomiseAffine(BN& bn) {
  bn.weight().copyFrom(randomTensor(bn.weight().shape(), 99, 0.5f, 1.5f));
  bn.bias().copyFrom(randomTensor(bn.bias().shape(), 98));
}

TEST(SpatialBatchNormalization, GradientsInTraining) {
  SpatialBatchNormalization bn(3);
  randomiseAffine(bn);
  testing::expectModuleGradients(bn, randomTensor({4, 3, 3, 5}, 1, -2.0f, 2.0f));
}

TEST(BatchNormalization, GradientsInTraining) {
  BatchNormalization bn(5);
  randomiseAffine(bn);
  testing::expectModuleGradients(bn, randomTensor({6, 5}, 2, -2.0f, 2.0f));
}

TEST(SpatialBatchNormalization, GradientsInEvaluation) {
  SpatialBatchNormalization bn(2);
  randomiseAffine(bn);
  bn.runningMean().copyFrom(randomTensor({2}, 3));
  bn.runningVar().copyFrom(randomTensor({2}, 4, 0.5f, 2.0f));
  bn.evaluate();
  testing::expectModuleGradients(bn, randomTensor({3, 2, 4, 3}, 5));
}

TEST(BatchNormalization, GradientsWithoutAffine) {
  BatchNormalization bn(4, 1e-3, 0.2, false);
  EXPECT_TRUE(bn.parameters().empty());
  testing::expectModuleGradients(bn, randomTensor({5, 4}, 6, -2.0f, 2.0f));
}

TEST(SpatialBatchNormalization, BackwardAccumulatesAndBuffersAreReused) {
  SpatialBatchNormalization bn(4);
  randomiseAffine(bn);
  Tensor x = randomTensor({8, 4, 6, 6}, 7), gy = randomTensor({8, 4, 6, 6}, 8);
  const float* out = bn.forward(x).data();
  const float* gradIn = bn.backward(x, gy).data();
  Tensor once = bn.gradWeight().clone(), onceBias = bn.gradBias().clone();
  EXPECT_EQ(bn.backward(x, gy).data(), gradIn);
  for (int64_t i = 0; i < once.numel(); ++i) {
    EXPECT_NEAR(bn.gradWeight()[i], 2 * once[i], 1e-4);
    EXPECT_NEAR(bn.gradBias()[i], 2 * onceBias[i], 1e-4);
  }
  EXPECT_EQ(bn.forward(x).data(), out);
}

// Training forward and backward against the formulas in double, per channel: x [N, C] or
// [N, C, H, W] with S = H x W values per plane.
void expectTheFormulasInDouble(BatchNormalization& bn, const Tensor& x, const Tensor& gy) {
  const int64_t n = x.shape()[0], c = x.shape()[1], s = x.numel() / (n * c);
  randomiseAffine(bn);
  Tensor y = bn.forward(x).clone();
  Tensor gx = bn.backward(x, gy).clone();
  for (int64_t ch = 0; ch < c; ++ch) {
    double mean = 0, var = 0, sumGy = 0, sumGyXhat = 0;
    auto at = [&](int64_t i, int64_t k) { return (i * c + ch) * s + k; };
    for (int64_t i = 0; i < n; ++i)
      for (int64_t k = 0; k < s; ++k) mean += x[at(i, k)];
    mean /= n * s;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t k = 0; k < s; ++k) var += (x[at(i, k)] - mean) * (x[at(i, k)] - mean);
    var /= n * s;
    const double inv = 1 / std::sqrt(var + 1e-5), g = bn.weight()[ch], b = bn.bias()[ch];
    for (int64_t i = 0; i < n; ++i)
      for (int64_t k = 0; k < s; ++k) {
        sumGy += gy[at(i, k)];
        sumGyXhat += gy[at(i, k)] * (x[at(i, k)] - mean) * inv;
      }
    EXPECT_NEAR(bn.gradBias()[ch], sumGy, 1e-2 + 1e-4 * std::abs(sumGy));
    EXPECT_NEAR(bn.gradWeight()[ch], sumGyXhat, 1e-2 + 1e-4 * std::abs(sumGyXhat));
    for (int64_t i = 0; i < n; ++i)
      for (int64_t k = 0; k < s; k += 7) {
        const double xhat = (x[at(i, k)] - mean) * inv;
        ASSERT_NEAR(y[at(i, k)], g * xhat + b, 2e-3) << "channel " << ch << " value " << at(i, k);
        const double want = g * inv * (gy[at(i, k)] - sumGy / (n * s) - xhat * sumGyXhat / (n * s));
        ASSERT_NEAR(gx[at(i, k)], want, 2e-3) << "channel " << ch << " value " << at(i, k);
      }
  }
}

// Shapes past the kernels' vector width and their parallel threshold (odd sizes), with a mean far
// from zero: planes of 23 x 29 values, and [N, C] batches whose channels go in blocks of 64.
TEST(SpatialBatchNormalization, LargeOddShapeMatchesTheFormulasInDouble) {
  SpatialBatchNormalization bn(5);
  expectTheFormulasInDouble(bn, randomTensor({8, 5, 23, 29}, 11, 99.0f, 101.0f),
                            randomTensor({8, 5, 23, 29}, 12));
}

TEST(BatchNormalization, LargeOddShapeMatchesTheFormulasInDouble) {
  BatchNormalization bn(131);
  expectTheFormulasInDouble(bn, randomTensor({203, 131}, 13, 99.0f, 101.0f),
                            randomTensor({203, 131}, 14));
}

TEST(SpatialBatchNormalization, InitialStateSpecAndStateBuffers) {
  SpatialBatchNormalization bn(3, 1e-3, 0.01);
  EXPECT_EQ(bn.weight()[2], 1.0f);
  EXPECT_EQ(bn.bias()[2], 0.0f);
  EXPECT_EQ(bn.runningMean()[1], 0.0f);
  EXPECT_EQ(bn.runningVar()[1], 1.0f);
  EXPECT_EQ(bn.parameters().size(), 2u);
  auto buffers = bn.stateBuffers();
  ASSERT_EQ(buffers.size(), 2u);
  EXPECT_EQ(buffers[0].value, &bn.runningMean());
  EXPECT_EQ(buffers[0].name, "running_mean");
  EXPECT_EQ(buffers[1].value, &bn.runningVar());
  EXPECT_EQ(buffers[1].name, "running_var");
  nlohmann::json expected = {{"type", "SpatialBatchNormalization"},
                             {"n", 3},
                             {"eps", 1e-3},
                             {"momentum", 0.01},
                             {"affine", true}};
  EXPECT_EQ(bn.spec(), expected);
  EXPECT_EQ(bn.describe(), "SpatialBatchNormalization(3, eps 0.001, momentum 0.01)");
  EXPECT_EQ(BatchNormalization(16).describe(), "BatchNormalization(16)");
}

TEST(SpatialBatchNormalization, RejectsWrongShapes) {
  SpatialBatchNormalization bn(3);
  bn.setLabel("layer 2 (SpatialBatchNormalization(3))");
  try {
    bn.forward(Tensor({2, 4, 5, 5}));
    ADD_FAILURE() << "no ShapeError";
  } catch (const ShapeError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("layer 2"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[3, H, W]"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[4, 5, 5]"), std::string::npos) << msg;
  }
  EXPECT_THROW(bn.forward(Tensor({2, 3})), ShapeError);
  BatchNormalization flat(3);
  EXPECT_THROW(flat.forward(Tensor({2, 3, 1, 1})), ShapeError);
  // One value per channel cannot be normalised in training mode (PyTorch refuses it too).
  EXPECT_THROW(flat.forward(Tensor({1, 3})), ShapeError);
  flat.evaluate();
  EXPECT_NO_THROW(flat.forward(Tensor({1, 3})));
  EXPECT_THROW(SpatialBatchNormalization(0), UsageError);
}

}  // namespace
}  // namespace shoal
