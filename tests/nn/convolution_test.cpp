// SpatialConvolution tests: golden values, gradients, naive reference, errors, accumulation.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "shoal/error.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/nn/spatial_convolution.hpp"
#include "support/fixtures.hpp"
#include "support/gradient_check.hpp"
#include "support/naive_convolution.hpp"

namespace shoal {
namespace {

using nn::SpatialConvolution;
using testing::expectNear;
using testing::checkAgainstNaive;
using testing::loadFixture;
using testing::randomTensor;
using testing::tensorFromJson;

SpatialConvolution fromArgs(const nlohmann::json& a) {
  return SpatialConvolution(a["in"], a["out"], a["kernel"][0], a["kernel"][1], a["stride"][0],
                            a["stride"][1], a["pad"][0], a["pad"][1], a["groups"], a["bias"]);
}

void checkGolden(const std::string& name) {
  SCOPED_TRACE(name);
  nlohmann::json f = loadFixture(name);
  SpatialConvolution conv = fromArgs(f["args"]);
  conv.weight().copyFrom(tensorFromJson(f["weight"]));
  if (f["args"]["bias"]) conv.bias().copyFrom(tensorFromJson(f["bias"]));
  Tensor input = tensorFromJson(f["input"]);
  expectNear(conv.forward(input), tensorFromJson(f["output"]), 1e-4, 1e-5, "output");
  expectNear(conv.backward(input, tensorFromJson(f["gradOutput"])), tensorFromJson(f["gradInput"]),
             1e-4, 1e-5, "gradInput");
  expectNear(conv.gradWeight(), tensorFromJson(f["gradWeight"]), 1e-4, 1e-4, "gradWeight");
  if (f["args"]["bias"])
    expectNear(conv.gradBias(), tensorFromJson(f["gradBias"]), 1e-4, 1e-4, "gradBias");
}

TEST(SpatialConvolution, MatchesPyTorchWithPadding) { checkGolden("conv_basic.json"); }
TEST(SpatialConvolution, MatchesPyTorchStridedGroupedOddSizes) {
  checkGolden("conv_strided_grouped.json");
}
TEST(SpatialConvolution, MatchesPyTorchWithoutBias) { checkGolden("conv_no_bias.json"); }

TEST(SpatialConvolution, GradientsPadded) {
  SpatialConvolution conv(3, 4, 3, 3, 1, 1, 1, 1);
  testing::expectModuleGradients(conv, randomTensor({2, 3, 5, 5}, 1));
}

TEST(SpatialConvolution, GradientsStridedGroupedOddSizes) {
  // 7x5 input, kernel 3 wide and 2 high, stride 2, pad 1, two groups.
  SpatialConvolution conv(4, 6, 3, 2, 2, 2, 1, 1, 2);
  testing::expectModuleGradients(conv, randomTensor({2, 4, 7, 5}, 2));
}

TEST(SpatialConvolution, GradientsAsymmetricWithoutBias) {
  SpatialConvolution conv(2, 3, 2, 3, 1, 2, 0, 1, 1, false);
  EXPECT_EQ(conv.parameters().size(), 1u);
  testing::expectModuleGradients(conv, randomTensor({3, 2, 5, 4}, 3));
}

// A 1x1 kernel with a stride (a resnet's projection) reads every sH-th row and sW-th column; the
// other input pixels get a zero gradient.
TEST(SpatialConvolution, GradientsStridedPointwise) {
  SpatialConvolution square(3, 5, 1, 1, 2, 2);
  testing::expectModuleGradients(square, randomTensor({2, 3, 7, 5}, 4));
  // 1 wide and 3 high, grouped, without bias: 5 -> 2 rows, all 4 columns
  SpatialConvolution tall(4, 2, 1, 1, 1, 3, 0, 0, 2, false);
  testing::expectModuleGradients(tall, randomTensor({3, 4, 5, 4}, 5));
  Tensor x = randomTensor({1, 4, 5, 4}, 6);
  Tensor gx = tall.backward(x, randomTensor(tall.forward(x).shape(), 7));
  for (int64_t c = 0; c < 4; ++c)
    for (int64_t h : {1, 2, 4})
      for (int64_t w = 0; w < 4; ++w)
        EXPECT_EQ(gx[(c * 5 + h) * 4 + w], 0.0f) << "plane " << c << ", row " << h << ", column " << w;
}

TEST(SpatialConvolution, MatchesNaiveAtLeNetShapesAcrossBatchSizes) {
  // The shapes where oneDNN picks blocked layouts; batch sizes alternate to exercise the cache.
  SpatialConvolution conv1(1, 6, 5, 5, 1, 1, 2, 2);
  SpatialConvolution conv2(6, 16, 5, 5);
  for (int64_t n : {3, 2, 3}) {
    SCOPED_TRACE("batch " + std::to_string(n));
    checkAgainstNaive(conv1, randomTensor({n, 1, 28, 28}, 10 + n), 1, 2, 1, 20 + n);
    checkAgainstNaive(conv2, randomTensor({n, 6, 14, 14}, 30 + n), 1, 0, 1, 40 + n);
  }
  SpatialConvolution grouped(16, 32, 3, 3, 2, 2, 1, 1, 4);
  checkAgainstNaive(grouped, randomTensor({2, 16, 9, 9}, 50), 2, 1, 4, 51);
}

TEST(SpatialConvolution, MatchesNaiveAsAResnetProjectionAcrossBatchSizes) {
  // The resnet's second block's projection (16 -> 32 planes, 28x28 -> 14x14) and an odd size.
  SpatialConvolution projection(16, 32, 1, 1, 2, 2);
  for (int64_t n : {3, 2, 3}) {
    SCOPED_TRACE("batch " + std::to_string(n));
    checkAgainstNaive(projection, randomTensor({n, 16, 28, 28}, 60 + n), 2, 0, 1, 70 + n);
    checkAgainstNaive(projection, randomTensor({n, 16, 9, 9}, 80 + n), 2, 0, 1, 90 + n);
  }
}

TEST(SpatialConvolution, WorksOnFlatParameterViews) {
  SpatialConvolution conv(6, 16, 5, 5);
  Tensor x = randomTensor({2, 6, 14, 14}, 4);
  Tensor before = conv.forward(x).clone();
  nn::FlatParameters& flat = conv.flatParameters();
  EXPECT_TRUE(conv.weight().sharesData(flat.values().flatSlice(0, conv.weight().numel())));
  expectNear(conv.forward(x), before, 0, 0, "output after flattening");
  flat.values().fill(0.0f);
  EXPECT_EQ(conv.forward(x)[7], 0.0f);
}

TEST(SpatialConvolution, BackwardAccumulatesParameterGradients) {
  SpatialConvolution conv(6, 16, 5, 5);
  Tensor x = randomTensor({4, 6, 14, 14}, 5);
  Tensor gy = randomTensor({4, 16, 10, 10}, 6);
  conv.forward(x);
  conv.backward(x, gy);
  Tensor once = conv.gradWeight().clone(), onceBias = conv.gradBias().clone();
  conv.backward(x, gy);
  for (int64_t i = 0; i < once.numel(); ++i) once[i] *= 2;
  for (int64_t i = 0; i < onceBias.numel(); ++i) onceBias[i] *= 2;
  expectNear(conv.gradWeight(), once, 1e-5, 1e-5, "gradWeight after two backward passes");
  expectNear(conv.gradBias(), onceBias, 1e-5, 1e-5, "gradBias after two backward passes");
  conv.zeroGradParameters();
  EXPECT_EQ(conv.gradWeight()[0], 0.0f);
}

TEST(SpatialConvolution, ReusesBuffersAtTheSameShape) {
  SpatialConvolution conv(1, 6, 5, 5, 1, 1, 2, 2);
  Tensor x = randomTensor({8, 1, 28, 28}, 7), gy = randomTensor({8, 6, 28, 28}, 8);
  const float* out = conv.forward(x).data();
  const float* gradIn = conv.backward(x, gy).data();
  Tensor x2 = randomTensor({8, 1, 28, 28}, 9);
  EXPECT_EQ(conv.forward(x2).data(), out);
  EXPECT_EQ(conv.backward(x2, gy).data(), gradIn);
  EXPECT_EQ(conv.forward(randomTensor({4, 1, 28, 28}, 10)).data(), out);  // a smaller batch fits
}

TEST(SpatialConvolution, NewInputAtTheSameAddressIsNotStale) {
  // A previous layer's output buffer keeps its address across steps while its values change.
  SpatialConvolution conv(6, 16, 5, 5);
  Tensor x = randomTensor({2, 6, 14, 14}, 11), gy = randomTensor({2, 16, 10, 10}, 12);
  conv.forward(x);
  conv.backward(x, gy);
  x.copyFrom(randomTensor(x.shape(), 13));
  conv.zeroGradParameters();
  conv.forward(x);
  conv.backward(x, gy);
  testing::Reference r = testing::naive(x, conv.weight(), conv.bias(), gy, 1, 0, 1);
  expectNear(conv.gradWeight(), r.gw, 1e-4, 2e-3, "gradWeight for the new input");
}

std::string shapeErrorOf(SpatialConvolution& conv, const Shape& inputShape) {
  try {
    conv.forward(Tensor(inputShape));
  } catch (const ShapeError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no ShapeError for input " << inputShape.str();
  return "";
}

TEST(SpatialConvolution, RejectsKernelLargerThanPaddedInput) {
  SpatialConvolution conv(1, 2, 5, 5, 1, 1, 1, 1);
  std::string msg = shapeErrorOf(conv, {2, 1, 2, 6});
  EXPECT_NE(msg.find("SpatialConvolution(1 -> 2, 5x5, pad 1)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("5x5"), std::string::npos) << msg;
  EXPECT_NE(msg.find("4x8"), std::string::npos) << msg;
}

TEST(SpatialConvolution, RejectsWrongPlaneCount) {
  SpatialConvolution conv(3, 2, 3, 3);
  conv.setLabel("layer 1 (SpatialConvolution)");
  std::string msg = shapeErrorOf(conv, {2, 4, 8, 8});
  EXPECT_NE(msg.find("layer 1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("expected 3 input planes, got 4"), std::string::npos) << msg;
  EXPECT_THROW(conv.forward(Tensor({2, 3, 8})), ShapeError);
}

TEST(SpatialConvolution, RejectsBadArguments) {
  EXPECT_THROW(SpatialConvolution(3, 4, 3, 3, 1, 1, 0, 0, 2), UsageError);
  EXPECT_THROW(SpatialConvolution(3, 4, 0, 3), UsageError);
  EXPECT_THROW(SpatialConvolution(3, 4, 3, 3, 0, 1), UsageError);
}

TEST(SpatialConvolution, DescribesAndSpecifiesItself) {
  SpatialConvolution conv(1, 6, 5, 5, 1, 1, 2, 2);
  EXPECT_EQ(conv.describe(), "SpatialConvolution(1 -> 6, 5x5, pad 2)");
  EXPECT_EQ(conv.typeName(), "SpatialConvolution");
  nlohmann::json expected = {{"type", "SpatialConvolution"},
                             {"in", 1},
                             {"out", 6},
                             {"kernel", {5, 5}},
                             {"stride", {1, 1}},
                             {"pad", {2, 2}},
                             {"groups", 1},
                             {"bias", true}};
  EXPECT_EQ(conv.spec(), expected);
  SpatialConvolution odd(4, 6, 3, 2, 2, 1, 1, 0, 2, false);
  EXPECT_EQ(odd.describe(),
            "SpatialConvolution(4 -> 6, 3x2, stride 2,1, pad 1,0, groups 2, no bias)");
  EXPECT_EQ(odd.outputShape({4, 7, 5}), (Shape{6, 6, 3}));
}

TEST(SpatialConvolution, InitialisesLikePyTorch) {
  SpatialConvolution conv(6, 16, 5, 5, 1, 1, 0, 0, 2);
  float bound = 1.0f / std::sqrt(3.0f * 25.0f);
  float maxAbs = 0.0f;
  for (int64_t i = 0; i < conv.weight().numel(); ++i)
    maxAbs = std::max(maxAbs, std::abs(conv.weight()[i]));
  EXPECT_LE(maxAbs, bound);
  EXPECT_GT(maxAbs, 0.9f * bound);
  nn::Generator a(5), b(5);
  conv.reset(a);
  Tensor first = conv.weight().clone();
  conv.reset(b);
  expectNear(conv.weight(), first, 0, 0, "weights redrawn from the same seed");
  EXPECT_NE(conv.bias()[0], conv.bias()[1]);
}

}  // namespace
}  // namespace shoal
