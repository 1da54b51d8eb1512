// bf16 activations between a graph's nodes: batch normalisation, ReLU and addition on bf16 against their f32 selves, and a ResNet step in bf16 against f32.
#include <gtest/gtest.h>

#include <cmath>

#include "shoal/backend/cpu_info.hpp"
#include "shoal/nn/batch_normalization.hpp"
#include "shoal/nn/cadd_table.hpp"
#include "shoal/nn/class_nll_criterion.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/nn/graph.hpp"
#include "shoal/nn/model_spec.hpp"
#include "shoal/nn/random.hpp"
#include "shoal/nn/relu.hpp"
#include "shoal/nn/spatial_batch_normalization.hpp"
#include "shoal/nn/zoo.hpp"
#include "support/bf16_kernels.hpp"
#include "support/gradient_check.hpp"
#include "support/relative_error.hpp"

namespace shoal {
namespace {

using nn::Precision;
using testing::randomTensor;
using testing::relativeError;

// `t` rounded to bf16, as a bf16 tensor.
Tensor asBf16(const Tensor& t) { return t.toType(DType::BF16); }

// Every element of `bf16` is the element of `f32` rounded to bf16 (nearest even), or its
// neighbour where the f32 result itself differs in the last bits (a statistic summed in another
// order: a loop over 2-byte elements vectorises with more lanes): the pass rounded once.
void expectRoundedFrom(const Tensor& bf16, const Tensor& f32) {
  ASSERT_EQ(bf16.dtype(), DType::BF16);
  ASSERT_EQ(bf16.numel(), f32.numel());
  const bfloat16* b = bf16.data<bfloat16>();
  int64_t far = 0;
  for (int64_t i = 0; i < f32.numel(); ++i)
    far += std::abs(static_cast<int>(b[i].bits) - static_cast<int>(bfloat16Bits(f32.data()[i]))) > 1;
  EXPECT_EQ(far, 0) << "of " << f32.numel() << " elements are more than one bf16 step away";
}

// The f32 results of a pass over bf16 activations and of the f32 pass over the same values agree
// to f32 rounding (the sums may be taken in another order).
void expectF32Close(const Tensor& a, const Tensor& b, const char* what) {
  ASSERT_EQ(a.dtype(), DType::F32) << what;
  ASSERT_EQ(a.numel(), b.numel()) << what;
  double largest = 0;
  for (int64_t i = 0; i < b.numel(); ++i) largest = std::max(largest, std::abs(static_cast<double>(b.data()[i])));
  for (int64_t i = 0; i < a.numel(); ++i)
    ASSERT_NEAR(a.data()[i], b.data()[i], 1e-5 * largest + 1e-30) << what << " at " << i;
}

void expectSameBits(const Tensor& a, const Tensor& b, const char* what) {
  ASSERT_EQ(a.dtype(), DType::F32) << what;
  ASSERT_EQ(a.numel(), b.numel()) << what;
  int64_t wrong = 0;
  for (int64_t i = 0; i < a.numel(); ++i) wrong += a.data()[i] != b.data()[i];
  EXPECT_EQ(wrong, 0) << what << ": of " << a.numel() << " elements";
}

// A bf16 batch normalisation (with and without its fused ReLU, with batch and with running
// statistics) on a bf16 input against the f32 layer on the same values: the statistics and every
// gradient agree to f32 rounding, the bf16 output is the f32 output rounded once.
void expectBatchNormMatches(const Shape& shape, bool spatial) {
  auto make = [&]() -> std::unique_ptr<nn::BatchNormalization> {
    if (spatial) return std::make_unique<nn::SpatialBatchNormalization>(shape[1]);
    return std::make_unique<nn::BatchNormalization>(shape[1]);
  };
  for (bool relu : {false, true})
    for (bool training : {true, false}) {
      SCOPED_TRACE(std::string(relu ? "with ReLU, " : "") + (training ? "training" : "evaluation"));
      auto f32 = make(), bf16 = make();
      bf16->setPrecision(Precision::BF16);
      bf16->setOutputBf16(true);
      Tensor weight = randomTensor(f32->weight().shape(), 3, 0.5f, 1.5f);
      Tensor bias = randomTensor(f32->bias().shape(), 4);
      for (auto* layer : {f32.get(), bf16.get()}) {
        layer->weight().copyFrom(weight);
        layer->bias().copyFrom(bias);
        layer->runningVar().fill(0.7f);
        layer->setTraining(training);
      }
      Tensor x = asBf16(randomTensor(shape, 5, -2.0f, 3.0f)), xf = x.toType(DType::F32);
      Tensor yf, yb, gf, gb;
      f32->normalise(xf, yf, relu);
      bf16->normalise(x, yb, relu);
      expectRoundedFrom(yb, yf);
      expectF32Close(bf16->runningMean(), f32->runningMean(), "running mean");
      expectF32Close(bf16->runningVar(), f32->runningVar(), "running variance");
      Tensor grad = randomTensor(shape, 6);
      f32->normaliseBackward(xf, grad, relu ? &yf : nullptr, gf);
      bf16->normaliseBackward(x, grad, relu ? &yb : nullptr, gb);
      expectF32Close(gb, gf, "input gradient");
      expectF32Close(bf16->gradWeight(), f32->gradWeight(), "weight gradient");
      expectF32Close(bf16->gradBias(), f32->gradBias(), "bias gradient");
    }
}

TEST(Bf16Activations, SpatialBatchNormOnOddPlanes) { expectBatchNormMatches(Shape{3, 5, 7, 9}, true); }

// [N, C] batches take the row-wise passes (blocks of 64 channels and a remainder).
TEST(Bf16Activations, BatchNormOnRows) { expectBatchNormMatches(Shape{37, 70}, false); }

// The layer's own forward writes f32 unless asked for bf16, whatever it reads.
TEST(Bf16Activations, BatchNormWritesBf16OnlyWhenAsked) {
  nn::SpatialBatchNormalization bn(3);
  bn.setPrecision(Precision::BF16);
  EXPECT_TRUE(bn.acceptsBf16Input());
  Tensor x = asBf16(randomTensor(Shape{2, 3, 5, 5}, 1));
  EXPECT_EQ(bn.forward(x).dtype(), DType::F32);
  bn.setOutputBf16(true);
  EXPECT_EQ(bn.forward(x).dtype(), DType::BF16);
  EXPECT_EQ(bn.backward(x, randomTensor(Shape{2, 3, 5, 5}, 2)).dtype(), DType::F32);
}

TEST(Bf16Activations, ReluForwardAndBackward) {
  nn::ReLU f32, bf16;
  bf16.setPrecision(Precision::BF16);
  bf16.setOutputBf16(true);
  Tensor x = asBf16(randomTensor(Shape{3, 1001}, 7)), xf = x.toType(DType::F32);
  const Tensor& yb = bf16.forward(x);
  const Tensor& yf = f32.forward(xf);
  expectRoundedFrom(yb, yf);
  for (const Tensor& grad : {randomTensor(Shape{3, 1001}, 8), asBf16(randomTensor(Shape{3, 1001}, 8))}) {
    const Tensor gradF32 = grad.toType(DType::F32);
    expectSameBits(bf16.backward(x, grad), f32.backward(xf, gradF32), "input gradient");
  }
}

TEST(Bf16Activations, AdditionOfMixedInputs) {
  nn::CAddTable f32, bf16;
  bf16.setPrecision(Precision::BF16);
  bf16.setOutputBf16(true);
  // odd sizes: vector bodies and remainders; three inputs: one rounding of the whole sum
  Tensor a = asBf16(randomTensor(Shape{5, 3, 7, 11}, 9)), b = randomTensor(Shape{5, 3, 7, 11}, 10);
  Tensor c = asBf16(randomTensor(Shape{5, 3, 7, 11}, 11));
  Tensor af = a.toType(DType::F32), cf = c.toType(DType::F32);
  for (size_t count : {2u, 3u}) {
    const Tensor* inBf16[] = {&a, &b, &c};
    const Tensor* inF32[] = {&af, &b, &cf};
    const Tensor& yb = bf16.forwardInputs(std::span(inBf16, count));
    const Tensor& yf = f32.forwardInputs(std::span(inF32, count));
    expectRoundedFrom(yb, yf);
  }
}

// The small ResNet of the zoo (stem, three blocks with projections, pooling, classifier), drawn
// from seed 21; the process-wide generator is left as it was, for the tests after this one.
std::unique_ptr<nn::Module> smallResNet(Precision precision) {
  const nn::Generator before = nn::initGenerator();
  nn::manualSeed(21);
  nn::ZooOptions widths;
  widths.resnetWidths = {8, 16, 16};
  auto model = nn::buildModel(nn::zooSpec("resnet", Shape{1, 13, 13}, 5, widths), Shape{1, 13, 13});
  nn::initGenerator() = before;
  model->setPrecision(precision);
  model->train();
  return model;
}

// One training step's output and parameter gradients in bf16 against f32. The gradients of an
// untrained network are sums of terms that largely cancel, so bf16 rounding moves them more than
// the output: here 9% (relative, all parameters) with only the convolutions in bf16 and f32
// activations between the nodes, 11% with bf16 activations; a wrong path gives ~100%.
TEST(Bf16Activations, ResNetStepAgainstF32) {
  SHOAL_SKIP_WITHOUT_BF16_KERNELS();
  auto f32 = smallResNet(Precision::F32), bf16 = smallResNet(Precision::BF16);
  Tensor x = randomTensor(Shape{9, 1, 13, 13}, 12);
  Tensor target(Shape{9});
  for (int64_t i = 0; i < 9; ++i) target[i] = static_cast<float>(i % 5);
  nn::ClassNLLCriterion nll;
  Tensor grads[2], outputs[2];
  int k = 0;
  for (auto* model : {f32.get(), bf16.get()}) {
    model->flatParameters().zeroGrads();
    const Tensor& y = model->forward(x);
    outputs[k] = y.clone();
    model->backwardParameters(x, nll.backward(y, target));
    grads[k++] = model->flatParameters().grads().clone();
  }
  auto& graph = dynamic_cast<nn::Graph&>(*bf16);
  EXPECT_EQ(graph.node("block1_conv1").output().dtype(), DType::BF16) << "read by a batch normalisation";
  const Shape sample[] = {Shape{1, 13, 13}};
  for (const nn::ChildRun& run : graph.childRuns(sample))
    if (run.child.name == "block2_relu2")  // with the addition in one step
      EXPECT_EQ(run.writes, DType::BF16) << "read by the next block's convolutions";
  EXPECT_EQ(graph.node("stem_conv").output().dtype(), DType::F32) << "a thin convolution stays f32";
  EXPECT_EQ(graph.node("block3_relu2").output().dtype(), DType::F32) << "read by the f32 pooling";
  EXPECT_EQ(dynamic_cast<nn::Graph&>(*f32).node("block1_conv1").output().dtype(), DType::F32);
  const double forward = relativeError(outputs[1], outputs[0]);
  const double backward = relativeError(grads[1], grads[0]);
  EXPECT_LT(forward, 2e-2);
  EXPECT_GT(forward, 1e-6) << "bf16 really ran";
  EXPECT_LT(backward, 0.2);
}

// Batch normalisation with its ReLU, the addition and the ReLU on bf16 activations large enough
// to run on several threads give the same bits on one thread and on three.
TEST(Bf16Activations, SameBitsForAnyThreadCount) {
  const Shape shape{16, 24, 20, 20};
  Tensor x = asBf16(randomTensor(shape, 14)), grad = randomTensor(shape, 15);
  std::vector<float> runs[2];
  const int threads = backend::threadCount();
  for (int r = 0; r < 2; ++r) {
    backend::setThreadCount(r == 0 ? 1 : 3);
    nn::SpatialBatchNormalization bn(24);
    nn::CAddTable add;
    nn::ReLU relu;
    for (nn::Module* m : std::initializer_list<nn::Module*>{&bn, &add, &relu}) {
      m->setPrecision(Precision::BF16);
      m->setOutputBf16(true);
    }
    Tensor y, gradX;
    bn.normalise(x, y, /*relu=*/true);
    bn.normaliseBackward(x, grad, &y, gradX);
    const Tensor* sum[] = {&y, &x};
    const Tensor& z = relu.forward(add.forwardInputs(sum));
    const Tensor& gradZ = relu.backward(add.output(), grad);
    for (const Tensor* t : std::initializer_list<const Tensor*>{&y, &gradX, &z, &gradZ}) {
      std::vector<float> v = t->toVector();
      runs[r].insert(runs[r].end(), v.begin(), v.end());
    }
  }
  backend::setThreadCount(threads);
  EXPECT_TRUE(runs[0] == runs[1]);
}

}  // namespace
}  // namespace shoal
