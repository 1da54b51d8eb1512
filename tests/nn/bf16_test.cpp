// bf16 precision: each layer's forward and backward against its f32 self, the plan's bf16 chain, the optimiser's copy.
#include <gtest/gtest.h>

#include <cmath>

#include "shoal/backend/cpu_info.hpp"
#include "shoal/error.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/nn/flatten.hpp"
#include "shoal/nn/linear.hpp"
#include "shoal/nn/log_softmax.hpp"
#include "shoal/nn/model_summary.hpp"
#include "shoal/nn/relu.hpp"
#include "shoal/nn/sequential.hpp"
#include "shoal/nn/spatial_batch_normalization.hpp"
#include "shoal/nn/spatial_convolution.hpp"
#include "shoal/nn/tanh.hpp"
#include "shoal/optim/sgd.hpp"
#include "support/bf16_kernels.hpp"
#include "support/gradient_check.hpp"
#include "support/relative_error.hpp"

using shoal::DType;
using shoal::Shape;
using shoal::Tensor;
using shoal::nn::Precision;
using shoal::testing::kBf16Tolerance;
using shoal::testing::randomTensor;
using shoal::testing::relativeError;

namespace {

// At least this much error shows the computation really read bf16 (not f32 behind the label).
constexpr double kBf16Floor = 1e-5;

// `t` with every element rounded to bf16 (still f32 when it was).
void roundToBf16(Tensor& t) { t.copyFrom(t.toType(DType::BF16)); }

// Forward, backward and parameter gradients of two models of the same parameters, one set to
// bf16, on `input` and a random output gradient; every result within bf16 tolerance. With
// `exactFactors`, weights, input and output gradient are bf16 numbers to begin with, so both
// models multiply the same values: a max pooling then picks the same elements in both (rounding
// the factors moves near-ties between window elements, and with them whole gradients).
void expectBf16Close(shoal::nn::Module& f32, shoal::nn::Module& bf16, const Tensor& given,
                     bool exactFactors = false) {
  bf16.setPrecision(Precision::BF16);
  auto pf = f32.parameters(), pb = bf16.parameters();
  ASSERT_EQ(pf.size(), pb.size());
  for (size_t i = 0; i < pf.size(); ++i) {
    if (exactFactors) roundToBf16(*pf[i].value);
    pb[i].value->copyFrom(*pf[i].value);
  }
  bf16.flatParameters().refreshLowPrecisionCopy();
  Tensor input = given.clone(), inputF32 = given.toType(DType::F32);
  if (exactFactors) roundToBf16(inputF32), input.copyFrom(inputF32);
  const Tensor& yf = f32.forward(inputF32);
  const Tensor& yb = bf16.forward(input);
  ASSERT_EQ(yb.dtype(), DType::F32) << "a model's output stays f32";
  double forwardError = relativeError(yb, yf);
  EXPECT_LT(forwardError, kBf16Tolerance);
  if (!exactFactors) {
    EXPECT_GT(forwardError, kBf16Floor);
  }
  Tensor grad = randomTensor(yf.shape(), 7);
  if (exactFactors) roundToBf16(grad);
  f32.zeroGradParameters();
  bf16.zeroGradParameters();
  const Tensor& gf = f32.backward(inputF32, grad);
  const Tensor& gb = bf16.backward(input, grad);
  EXPECT_EQ(gb.dtype(), input.dtype());
  EXPECT_LT(relativeError(gb, gf), kBf16Tolerance) << "gradInput";
  for (size_t i = 0; i < pf.size(); ++i)
    EXPECT_LT(relativeError(*pb[i].grad, *pf[i].grad), kBf16Tolerance) << pf[i].name;
}

}  // namespace

TEST(Bf16, LinearOddSizes) {
  SHOAL_SKIP_WITHOUT_BF16_KERNELS();
  shoal::nn::Linear f32(33, 19), bf16(33, 19);
  expectBf16Close(f32, bf16, randomTensor(Shape{7, 33}, 1));
}

TEST(Bf16, LinearTakesBf16Input) {
  SHOAL_SKIP_WITHOUT_BF16_KERNELS();
  shoal::nn::Linear f32(21, 5), bf16(21, 5);
  Tensor input = randomTensor(Shape{3, 21}, 2).toType(DType::BF16);
  expectBf16Close(f32, bf16, input);
}

TEST(Bf16, LinearChainKeepsBf16BetweenLayers) {
  SHOAL_SKIP_WITHOUT_BF16_KERNELS();
  // Weights of one seed, whatever ran before: in layers this small a ReLU input within bf16
  // rounding of 0 flips its mask, and some draws move a tenth of the gradient that way.
  shoal::nn::manualSeed(2);
  auto chain = [] {
    shoal::nn::Sequential s;
    s.add(shoal::nn::Flatten()).add(shoal::nn::Linear(35, 23)).add(shoal::nn::ReLU());
    s.add(shoal::nn::Linear(23, 17)).add(shoal::nn::ReLU()).add(shoal::nn::Linear(17, 9));
    s.add(shoal::nn::LogSoftMax());
    return s;
  };
  shoal::nn::Sequential f32 = chain(), bf16 = chain();
  expectBf16Close(f32, bf16, randomTensor(Shape{5, 5, 7}, 3));
  // steps: Flatten, Linear+ReLU, Linear+ReLU, Linear, LogSoftMax
  EXPECT_EQ(bf16.at(1).acceptsBf16Input(), true);
  EXPECT_TRUE(bf16.acceptsBf16Input()) << "past the Flatten, the first Linear reads bf16";
  EXPECT_EQ(bf16.at(5).output().dtype(), DType::F32) << "the last Linear feeds LogSoftMax in f32";
}

TEST(Bf16, ConvolutionOddSizes) {
  SHOAL_SKIP_WITHOUT_BF16_KERNELS();
  shoal::nn::SpatialConvolution f32(9, 7, 3, 3, 1, 1, 1, 1), bf16(9, 7, 3, 3, 1, 1, 1, 1);
  expectBf16Close(f32, bf16, randomTensor(Shape{3, 9, 11, 9}, 4));
}

TEST(Bf16, StridedConvolutionWithoutBias) {
  SHOAL_SKIP_WITHOUT_BF16_KERNELS();
  shoal::nn::SpatialConvolution f32(10, 12, 3, 3, 2, 2, 1, 1, 1, false),
      bf16(10, 12, 3, 3, 2, 2, 1, 1, 1, false);
  expectBf16Close(f32, bf16, randomTensor(Shape{2, 10, 13, 13}, 5));
}

TEST(Bf16, ThinConvolutionStaysF32AndSaysSo) {
  shoal::nn::Sequential s;
  s.add(shoal::nn::SpatialConvolution(1, 6, 5, 5)).add(shoal::nn::SpatialConvolution(6, 16, 5, 5));
  s.add(shoal::nn::SpatialConvolution(16, 4, 3, 3));
  s.setPrecision(Precision::BF16);
  EXPECT_EQ(s.at(0).precision(), Precision::F32);
  EXPECT_EQ(s.at(1).precision(), Precision::F32);
  EXPECT_EQ(s.at(2).precision(), Precision::BF16);
  EXPECT_FALSE(s.acceptsBf16Input()) << "the first convolution reads f32 batches";
  shoal::nn::ModelSummary summary = shoal::nn::summarize(s, Shape{1, 20, 20});
  EXPECT_EQ(summary.layers[0].precision, "fp32 (bf16 does not pay here)");
  EXPECT_EQ(summary.layers[2].precision, "bf16, rounds its fp32 input, writes fp32");
}

TEST(Bf16, LayersWithoutPathStayF32) {
  shoal::nn::Sequential s;
  s.add(shoal::nn::SpatialConvolution(8, 4, 3, 3)).add(shoal::nn::Tanh());
  s.setPrecision(Precision::BF16);
  EXPECT_EQ(s.at(0).precision(), Precision::BF16);
  EXPECT_EQ(s.at(1).precision(), Precision::F32);
  shoal::nn::ModelSummary summary = shoal::nn::summarize(s, Shape{8, 6, 6});
  EXPECT_EQ(summary.layers[0].precision, "bf16, writes fp32");
  EXPECT_EQ(summary.layers[1].precision, "fp32 (no bf16 path)");
  EXPECT_NE(summary.table().find("fp32 (no bf16 path)"), std::string::npos);
}

TEST(Bf16, SgdWritesTheCopyInItsPass) {
  SHOAL_SKIP_WITHOUT_BF16_KERNELS();
  shoal::nn::Linear layer(9, 4);
  layer.setPrecision(Precision::BF16);
  shoal::nn::FlatParameters& flat = layer.flatParameters();
  ASSERT_TRUE(flat.hasLowPrecisionCopy());
  shoal::optim::SGD sgd({.lr = 0.1, .momentum = 0.9});
  sgd.setLowPrecisionCopy(&flat.lowPrecisionValues());
  Tensor input = randomTensor(Shape{3, 9}, 8);
  for (int step = 0; step < 3; ++step) {
    sgd.step(flat.values(), flat.grads(), [&] {
      flat.zeroGrads();
      layer.forward(input);
      layer.backward(input, randomTensor(Shape{3, 4}, 9 + step));
      return 0.0f;
    });
    std::vector<float> values = flat.values().toVector();
    std::vector<float> copy = flat.lowPrecisionValues().toVector();
    for (size_t i = 0; i < values.size(); ++i)
      ASSERT_EQ(copy[i], static_cast<float>(shoal::bfloat16(values[i]))) << "element " << i;
  }
}

TEST(Bf16, DeterministicForASeed) {
  SHOAL_SKIP_WITHOUT_BF16_KERNELS();
  auto losses = [] {
    shoal::nn::manualSeed(5);
    shoal::nn::Sequential s;
    s.add(shoal::nn::Linear(13, 11)).add(shoal::nn::ReLU()).add(shoal::nn::Linear(11, 3));
    s.setPrecision(Precision::BF16);
    shoal::nn::FlatParameters& flat = s.flatParameters();
    shoal::optim::SGD sgd({.lr = 0.05});
    sgd.setLowPrecisionCopy(&flat.lowPrecisionValues());
    Tensor input = randomTensor(Shape{6, 13}, 10);
    std::vector<float> out;
    for (int step = 0; step < 4; ++step)
      sgd.step(flat.values(), flat.grads(), [&] {
        flat.zeroGrads();
        const Tensor& y = s.forward(input);
        s.backward(input, y);  // the gradient of sum(y^2) / 2
        out.push_back(static_cast<float>(y.sum()));
        return 0.0f;
      });
    return out;
  };
  EXPECT_EQ(losses(), losses());
}

TEST(Bf16, ResolvesPrecisionNames) {
  EXPECT_EQ(shoal::nn::resolvePrecision("fp32"), Precision::F32);
  std::string note;
  const bool native = shoal::backend::bf16Support() == shoal::backend::Bf16Support::Native;
  EXPECT_EQ(shoal::nn::resolvePrecision("auto", &note), native ? Precision::BF16 : Precision::F32);
  EXPECT_EQ(note.empty(), native) << note;
  EXPECT_THROW(shoal::nn::resolvePrecision("half"), shoal::UsageError);
}
