// Pooling tests: PyTorch golden values (ceil, count_include_pad), gradients, sizes, errors.
#include "shoal/backend/pooling_geometry.hpp"

#include <gtest/gtest.h>

#include <string>

#include "shoal/error.hpp"
#include "shoal/nn/spatial_average_pooling.hpp"
#include "shoal/nn/spatial_max_pooling.hpp"
#include "support/fixtures.hpp"
#include "support/gradient_check.hpp"

namespace shoal {
namespace {

using nn::SpatialAveragePooling;
using nn::SpatialMaxPooling;
using testing::expectNear;
using testing::loadFixture;
using testing::randomTensor;
using testing::tensorFromJson;

void checkGolden(nn::Module& pool, const nlohmann::json& f) {
  Tensor input = tensorFromJson(f["input"]);
  expectNear(pool.forward(input), tensorFromJson(f["output"]), 1e-5, 1e-6, "output");
  expectNear(pool.backward(input, tensorFromJson(f["gradOutput"])), tensorFromJson(f["gradInput"]),
             1e-5, 1e-6, "gradInput");
}

void checkMaxGolden(const std::string& name) {
  SCOPED_TRACE(name);
  nlohmann::json f = loadFixture(name);
  const nlohmann::json& a = f["args"];
  SpatialMaxPooling pool(a["kernel"][0], a["kernel"][1], a["stride"][0], a["stride"][1],
                         a["pad"][0], a["pad"][1], a["ceil"]);
  checkGolden(pool, f);
}

void checkAverageGolden(const std::string& name) {
  SCOPED_TRACE(name);
  nlohmann::json f = loadFixture(name);
  const nlohmann::json& a = f["args"];
  SpatialAveragePooling pool(a["kernel"][0], a["kernel"][1], a["stride"][0], a["stride"][1],
                             a["pad"][0], a["pad"][1], a["ceil"], a["countIncludePad"]);
  checkGolden(pool, f);
}

TEST(SpatialMaxPooling, MatchesPyTorch) { checkMaxGolden("conv_maxpool.json"); }
TEST(SpatialMaxPooling, MatchesPyTorchInCeilModeWithPadding) {
  checkMaxGolden("conv_maxpool_ceil.json");
}
TEST(SpatialAveragePooling, MatchesPyTorchWithPadding) { checkAverageGolden("conv_avgpool.json"); }
TEST(SpatialAveragePooling, MatchesPyTorchInCeilModeCountingPadding) {
  checkAverageGolden("conv_avgpool_ceil_include.json");
}
TEST(SpatialAveragePooling, MatchesPyTorchInCeilModeNotCountingPadding) {
  checkAverageGolden("conv_avgpool_ceil_exclude.json");
}

TEST(SpatialMaxPooling, Gradients) {
  SpatialMaxPooling pool(2, 2);
  testing::expectModuleGradients(pool, randomTensor({2, 3, 6, 6}, 1));
}

TEST(SpatialMaxPooling, GradientsOddSizesStridePaddingCeil) {
  SpatialMaxPooling pool(3, 2, 2, 2, 1, 1, true);
  testing::expectModuleGradients(pool, randomTensor({2, 2, 7, 5}, 2));
}

TEST(SpatialAveragePooling, GradientsCeilCountingPadding) {
  SpatialAveragePooling pool(2, 3, 2, 2, 0, 1, true, true);
  testing::expectModuleGradients(pool, randomTensor({2, 2, 8, 5}, 3));
}

TEST(SpatialAveragePooling, GradientsCeilNotCountingPadding) {
  SpatialAveragePooling pool(3, 3, 2, 2, 1, 1, true, false);
  testing::expectModuleGradients(pool, randomTensor({1, 3, 6, 7}, 4));
}

TEST(Pooling, OutputSizesFollowPyTorch) {
  using backend::poolingOutputSize;
  EXPECT_EQ(poolingOutputSize(28, 2, 2, 0, false), 14);
  EXPECT_EQ(poolingOutputSize(5, 2, 2, 0, false), 2);
  EXPECT_EQ(poolingOutputSize(5, 2, 2, 0, true), 3);
  // Ceil mode's extra window would start in the right padding: PyTorch drops it.
  EXPECT_EQ(poolingOutputSize(3, 3, 2, 1, true), 2);
  EXPECT_EQ(poolingOutputSize(2, 3, 1, 0, false), 0);
}

TEST(SpatialMaxPooling, DefaultStrideIsTheKernel) {
  SpatialMaxPooling pool(2, 2);
  EXPECT_EQ(pool.outputShape({6, 28, 28}), (Shape{6, 14, 14}));
  EXPECT_EQ(pool.describe(), "SpatialMaxPooling(2x2)");
  nlohmann::json expected = {{"type", "SpatialMaxPooling"},
                             {"kernel", {2, 2}},
                             {"stride", {2, 2}},
                             {"pad", {0, 0}},
                             {"ceil", false}};
  EXPECT_EQ(pool.spec(), expected);
  SpatialAveragePooling avg(3, 2, 1, 2, 1, 0, true, false);
  EXPECT_EQ(avg.describe(),
            "SpatialAveragePooling(3x2, stride 1,2, pad 1,0, ceil, padding not counted)");
  EXPECT_EQ(avg.spec()["countIncludePad"], false);
  EXPECT_EQ(avg.spec()["stride"], nlohmann::json({1, 2}));
}

TEST(SpatialMaxPooling, RejectsTooSmallInputNamingLayerAndSizes) {
  SpatialMaxPooling pool(3, 3);
  pool.setLabel("layer 4 (SpatialMaxPooling(3x3))");
  try {
    pool.forward(Tensor({1, 2, 2, 5}));
    ADD_FAILURE() << "no ShapeError";
  } catch (const ShapeError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("layer 4"), std::string::npos) << msg;
    EXPECT_NE(msg.find("3x3"), std::string::npos) << msg;
    EXPECT_NE(msg.find("2x5"), std::string::npos) << msg;
  }
  EXPECT_THROW(pool.forward(Tensor({1, 5, 5})), ShapeError);
}

TEST(SpatialAveragePooling, RejectsPaddingLargerThanHalfTheKernel) {
  EXPECT_THROW(SpatialAveragePooling(2, 2, 2, 2, 2, 0), UsageError);
  EXPECT_THROW(SpatialMaxPooling(0, 2), UsageError);
}

TEST(SpatialMaxPooling, ReusesBuffersAndFollowsNewInputs) {
  SpatialMaxPooling pool(2, 2);
  Tensor x = randomTensor({4, 6, 28, 28}, 5), gy = randomTensor({4, 6, 14, 14}, 6);
  const float* out = pool.forward(x).data();
  const float* gradIn = pool.backward(x, gy).data();
  x.copyFrom(randomTensor(x.shape(), 7));
  EXPECT_EQ(pool.forward(x).data(), out);
  EXPECT_EQ(pool.backward(x, gy).data(), gradIn);
  // The output is the maximum of each 2x2 window of the new input.
  float m = std::max(std::max(x[0], x[1]), std::max(x[28], x[29]));
  EXPECT_EQ(pool.output()[0], m);
  // The gradient goes to the window's maximum only.
  float routed = 0.0f;
  for (int64_t i : {0, 1, 28, 29}) routed += pool.gradInput()[i] != 0.0f ? 1.0f : 0.0f;
  EXPECT_EQ(routed, 1.0f);
}

}  // namespace
}  // namespace shoal
