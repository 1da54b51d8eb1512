// bf16 models: Embedding keeps float32 (bf16 does not pay) and says so; JoinTable joins bf16 inputs as bf16.
#include <gtest/gtest.h>

#include <cmath>

#include "shoal/error.hpp"
#include "shoal/nn/embedding.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/nn/flatten.hpp"
#include "shoal/nn/join_table.hpp"
#include "shoal/nn/linear.hpp"
#include "shoal/nn/model_summary.hpp"
#include "shoal/nn/random.hpp"
#include "shoal/nn/sequential.hpp"
#include "support/bf16_kernels.hpp"
#include "support/gradient_check.hpp"
#include "support/relative_error.hpp"

using shoal::bfloat16;
using shoal::DType;
using shoal::Shape;
using shoal::Tensor;
using shoal::nn::Precision;
using shoal::testing::kBf16Tolerance;
using shoal::testing::randomTensor;
using shoal::testing::relativeError;

namespace {

// indices [3, 5] into 13 rows, with repeats and the padding row 2
Tensor oddIndices() {
  Tensor idx(Shape{3, 5}, DType::I64);
  const int64_t values[] = {0, 4, 2, 12, 4, 7, 7, 1, 2, 11, 3, 12, 5, 9, 4};
  for (int64_t i = 0; i < 15; ++i) idx.data<int64_t>()[i] = values[i];
  return idx;
}

// Embedding(13 -> 7, padding 2), Flatten, Linear(35 -> 9)
shoal::nn::Sequential embeddingChain() {
  shoal::nn::Sequential s;
  s.add(shoal::nn::Embedding(13, 7, 2)).add(shoal::nn::Flatten()).add(shoal::nn::Linear(35, 9));
  return s;
}

}  // namespace

// bf16 does not pay for Embedding (embedding.hpp): in a bf16 model it gathers f32 rows, bit for
// bit those of an f32 model, the Linear after it rounds them, and the summary says why.
TEST(Bf16Embedding, StaysF32InABf16ModelAndSaysSo) {
  SHOAL_SKIP_WITHOUT_BF16_KERNELS();
  shoal::nn::manualSeed(3);
  shoal::nn::Sequential f32 = embeddingChain(), bf16 = embeddingChain();
  bf16.flatParameters().values().copyFrom(f32.flatParameters().values());
  bf16.setPrecision(Precision::BF16);
  EXPECT_EQ(bf16.at(0).precision(), Precision::F32);
  EXPECT_EQ(bf16.at(2).precision(), Precision::BF16);
  const Tensor idx = oddIndices();
  f32.forward(idx);
  bf16.forward(idx);
  ASSERT_EQ(bf16.at(0).output().dtype(), DType::F32);
  EXPECT_EQ(bf16.at(0).output().toVector(), f32.at(0).output().toVector());
  EXPECT_LT(relativeError(bf16.output(), f32.output()), kBf16Tolerance);
  Tensor grad = randomTensor(f32.output().shape(), 3);
  f32.zeroGradParameters();
  bf16.zeroGradParameters();
  f32.backward(idx, grad);
  bf16.backward(idx, grad);
  auto& embedding = static_cast<shoal::nn::Embedding&>(bf16.at(0));
  EXPECT_LT(relativeError(embedding.gradWeight(), static_cast<shoal::nn::Embedding&>(f32.at(0)).gradWeight()),
            kBf16Tolerance);
  shoal::nn::ModelSummary summary = shoal::nn::summarize(bf16, Shape{5});
  EXPECT_EQ(summary.layers[0].precision, "fp32 (bf16 does not pay here)");
  EXPECT_EQ(summary.layers[2].precision, "bf16, rounds its fp32 input, writes fp32");
}

TEST(Bf16JoinTable, JoinsBf16AsBf16AndMixedAsF32) {
  shoal::nn::JoinTable join;
  Tensor a = randomTensor(Shape{3, 5}, 1).toType(DType::BF16), b = randomTensor(Shape{3, 2}, 2).toType(DType::BF16);
  Tensor c = randomTensor(Shape{3, 4}, 3);
  const Tensor* both[] = {&a, &b};
  const Tensor& ab = join.forwardInputs(both);
  ASSERT_EQ(ab.dtype(), DType::BF16);
  ASSERT_EQ(ab.shape(), (Shape{3, 7}));
  for (int64_t n = 0; n < 3; ++n)
    for (int64_t k = 0; k < 7; ++k)
      EXPECT_EQ(ab.data<bfloat16>()[n * 7 + k].bits,
                k < 5 ? a.data<bfloat16>()[n * 5 + k].bits : b.data<bfloat16>()[n * 2 + k - 5].bits);
  Tensor gab = randomTensor(Shape{3, 7}, 4).toType(DType::BF16);
  auto grads = join.backwardInputs(both, gab);
  EXPECT_EQ(grads[0].dtype(), DType::BF16);
  EXPECT_EQ(grads[1].toVector()[0], gab.toVector()[5]);

  shoal::nn::JoinTable mixedJoin;
  const Tensor* mixed[] = {&a, &c};
  const Tensor& ac = mixedJoin.forwardInputs(mixed);
  ASSERT_EQ(ac.dtype(), DType::F32) << "an f32 input makes the output f32";
  EXPECT_EQ(ac.toVector()[5], c.toVector()[0]);
  EXPECT_EQ(ac.toVector()[1], a.toVector()[1]) << "bf16 widens exactly";
  Tensor gac = randomTensor(Shape{3, 9}, 5);
  auto mixedGrads = mixedJoin.backwardInputs(mixed, gac);
  ASSERT_EQ(mixedGrads[0].dtype(), DType::BF16) << "each gradient has its input's type";
  EXPECT_EQ(mixedGrads[0].toVector()[1], static_cast<float>(bfloat16(gac.toVector()[1])));
  ASSERT_EQ(mixedGrads[1].dtype(), DType::F32);
  EXPECT_EQ(mixedGrads[1].toVector()[0], gac.toVector()[5]);
}

TEST(Bf16JoinTable, RefusesIndexInputs) {
  shoal::nn::JoinTable join;
  Tensor a(Shape{2, 3}, DType::I64), b(Shape{2, 3});
  const Tensor* inputs[] = {&a, &b};
  EXPECT_THROW(join.forwardInputs(inputs), shoal::InputError);
}
