// Embedding: PyTorch golden values, weight gradient by central differences, index types, bad indices, JSON spec.
#include "shoal/nn/embedding.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "shoal/error.hpp"
#include "shoal/nn/model_spec.hpp"
#include "shoal/nn/random.hpp"
#include "shoal/nn/sequential.hpp"
#include "support/fixtures.hpp"
#include "support/gradient_check.hpp"

using shoal::DType;
using shoal::Shape;
using shoal::Tensor;
using shoal::nn::Embedding;
using shoal::testing::randomTensor;

namespace {

// A tensor of `dtype` holding `values` (indices) under `shape`.
Tensor indexTensor(const Shape& shape, const std::vector<int64_t>& values, DType dtype = DType::I64) {
  Tensor t(shape, dtype);
  for (size_t i = 0; i < values.size(); ++i) {
    if (dtype == DType::I64) t.data<int64_t>()[i] = values[i];
    if (dtype == DType::I32) t.data<int32_t>()[i] = static_cast<int32_t>(values[i]);
    if (dtype == DType::F32) t.data<float>()[i] = static_cast<float>(values[i]);
  }
  return t;
}

// The message of the InputError that forward(input) throws ("" and a test failure when none).
std::string forwardError(Embedding& layer, const Tensor& input) {
  try {
    layer.forward(input);
  } catch (const shoal::InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no InputError for " << layer.describe();
  return "";
}

}  // namespace

TEST(Embedding, MatchesPyTorch) {
  nlohmann::json fixture = shoal::testing::loadFixture("layers_embedding.json");
  ASSERT_EQ(fixture["cases"].size(), 2u);
  for (const auto& c : fixture["cases"]) {
    std::string name = c["name"];
    SCOPED_TRACE(name);
    Embedding layer(c["count"], c["dim"], c["padding"]);
    layer.weight().copyFrom(shoal::testing::tensorFromJson(c["weight"]));
    Tensor input = indexTensor(Shape(c["input"]["shape"].get<std::vector<int64_t>>()),
                               c["input"]["data"].get<std::vector<int64_t>>());
    // A gather copies rows: the output is exact.
    shoal::testing::expectNear(layer.forward(input), shoal::testing::tensorFromJson(c["output"]), 0,
                               0, name + " output");
    layer.zeroGradParameters();
    const Tensor& gradInput = layer.backward(input, shoal::testing::tensorFromJson(c["gradOutput"]));
    shoal::testing::expectNear(layer.gradWeight(), shoal::testing::tensorFromJson(c["gradWeight"]),
                               1e-6, 1e-7, name + " gradWeight");
    // No gradient flows to indices: zeros of the input's shape.
    EXPECT_EQ(gradInput.shape(), input.shape());
    EXPECT_EQ(gradInput.dtype(), DType::F32);
    for (float g : gradInput.toVector()) EXPECT_EQ(g, 0.0f);
  }
}

TEST(Embedding, WeightGradientMatchesCentralDifferences) {
  // The output is linear in the weight, so central differences are exact up to rounding.
  Embedding layer(6, 5, /*paddingIndex=*/3);
  shoal::nn::Generator gen(11);
  layer.reset(gen);
  layer.weight().data()[3 * 5 + 1] = 0.5f;  // a non-zero padding row still gets no gradient
  Tensor input = indexTensor(Shape{3, 4}, {0, 3, 2, 2, 5, 3, 0, 2, 1, 1, 4, 0});
  Tensor r = randomTensor(Shape{3, 4, 5}, 12);
  auto loss = [&] {
    const Tensor& y = layer.forward(input);
    double s = 0;
    for (int64_t i = 0; i < y.numel(); ++i) s += static_cast<double>(y[i]) * r[i];
    return s;
  };
  layer.forward(input);
  layer.zeroGradParameters();
  layer.backward(input, r);
  Tensor analytic = layer.gradWeight().clone();
  Tensor& w = layer.weight();
  const double h = 0.125;  // a power of two: w +- h is exact for these magnitudes
  for (int64_t i = 0; i < w.numel(); ++i) {
    float saved = w[i];
    w[i] = static_cast<float>(saved + h);
    double plus = loss();
    w[i] = static_cast<float>(saved - h);
    double minus = loss();
    w[i] = saved;
    double numeric = (plus - minus) / (2 * h);
    bool paddingRow = i / 5 == 3;
    EXPECT_NEAR(analytic[i], paddingRow ? 0.0 : numeric, 1e-5) << "gradWeight[" << i << "]";
    if (paddingRow) {
      EXPECT_NE(numeric, 0.0) << "the padding row is used in the forward pass";
    }
  }

  // backward accumulates: a second pass doubles the gradient.
  layer.backward(input, r);
  for (int64_t i = 0; i < w.numel(); ++i)
    EXPECT_FLOAT_EQ(layer.gradWeight()[i], 2 * analytic[i]) << "gradWeight[" << i << "]";
}

TEST(Embedding, ScatterAddIsRaceFreeOnLargeBatches) {
  // Enough elements for the parallel kernels; few rows, so every row is hit by many threads' indices.
  const int64_t n = 4096, l = 8, count = 3, dim = 16;
  Embedding layer(count, dim);
  std::vector<int64_t> codes(n * l);
  for (size_t i = 0; i < codes.size(); ++i) codes[i] = static_cast<int64_t>(i % count);
  Tensor input = indexTensor(Shape{n, l}, codes);
  layer.forward(input);
  layer.zeroGradParameters();
  layer.backward(input, Tensor::full(Shape{n, l, dim}, 1.0f));
  for (int64_t row = 0; row < count; ++row) {
    int64_t hits = n * l / count + (row < n * l % count ? 1 : 0);
    for (int64_t j = 0; j < dim; ++j)
      ASSERT_EQ(layer.gradWeight()[row * dim + j], static_cast<float>(hits)) << "row " << row;
  }
  for (int64_t i = 0; i < n * l; ++i)
    for (int64_t j = 0; j < dim; ++j)
      ASSERT_EQ(layer.output()[i * dim + j], layer.weight()[codes[i] * dim + j]) << "output row " << i;
}

TEST(Embedding, IndexTypesGiveTheSameOutputAndGradient) {
  Embedding layer(9, 3, 0);
  std::vector<int64_t> codes{8, 0, 3, 3, 7, 1};
  Tensor g = randomTensor(Shape{2, 3, 3}, 5);
  std::vector<std::vector<float>> outputs, grads;
  for (DType dtype : {DType::I64, DType::I32, DType::F32}) {
    SCOPED_TRACE(std::string(shoal::dtypeName(dtype)));
    Tensor input = indexTensor(Shape{2, 3}, codes, dtype);
    outputs.push_back(layer.forward(input).toVector());
    layer.zeroGradParameters();
    layer.backward(input, g);
    grads.push_back(layer.gradWeight().toVector());
  }
  EXPECT_EQ(outputs[1], outputs[0]);
  EXPECT_EQ(outputs[2], outputs[0]);
  EXPECT_EQ(grads[1], grads[0]);
  EXPECT_EQ(grads[2], grads[0]);
}

TEST(Embedding, OutputShapeIsTheInputShapePlusDim) {
  Embedding layer(5, 4);
  EXPECT_EQ(layer.outputShape(Shape{}), (Shape{4}));
  EXPECT_EQ(layer.outputShape(Shape{3}), (Shape{3, 4}));
  EXPECT_EQ(layer.outputShape(Shape{2, 3}), (Shape{2, 3, 4}));
  EXPECT_THROW(layer.outputShape(Shape{1, 1, 1, 1, 1}), shoal::ShapeError);
  // [N] -> [N, dim]
  Tensor input = indexTensor(Shape{3}, {4, 0, 4});
  const Tensor& y = layer.forward(input);
  ASSERT_EQ(y.shape(), (Shape{3, 4}));
  for (int64_t j = 0; j < 4; ++j) {
    EXPECT_EQ(y[j], layer.weight()[4 * 4 + j]);
    EXPECT_EQ(y[4 + j], layer.weight()[j]);
  }
}

TEST(Embedding, OutOfRangeIndexIsAnInputErrorNamingLayerPositionValueAndRange) {
  Embedding layer(5, 2);
  layer.setLabel("layer 1 (Embedding)");
  Tensor good = indexTensor(Shape{2, 2}, {0, 1, 2, 3});
  std::vector<float> before = layer.forward(good).toVector();
  for (DType dtype : {DType::I64, DType::I32, DType::F32}) {
    SCOPED_TRACE(std::string(shoal::dtypeName(dtype)));
    std::string msg = forwardError(layer, indexTensor(Shape{2, 2}, {0, 1, 9, 3}, dtype));
    EXPECT_NE(msg.find("layer 1 (Embedding)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("index 9 "), std::string::npos) << msg;
    EXPECT_NE(msg.find("position [1, 0]"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[0, 5)"), std::string::npos) << msg;
    // Checked before anything is written: the last good output stands.
    EXPECT_EQ(layer.output().toVector(), before);
  }
  // The backward pass checks too, and leaves the gradient as it was.
  layer.zeroGradParameters();
  Tensor bad = indexTensor(Shape{2, 2}, {0, 1, 5, 3});
  EXPECT_THROW(layer.backward(bad, Tensor(Shape{2, 2, 2})), shoal::InputError);
  for (float g : layer.gradWeight().toVector()) EXPECT_EQ(g, 0.0f);
}

TEST(Embedding, NegativeIndexIsAnInputError) {
  Embedding layer(5, 2);
  for (DType dtype : {DType::I64, DType::I32, DType::F32}) {
    SCOPED_TRACE(std::string(shoal::dtypeName(dtype)));
    std::string msg = forwardError(layer, indexTensor(Shape{3}, {0, 4, -1}, dtype));
    EXPECT_NE(msg.find("Embedding(5 -> 2)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("index -1 "), std::string::npos) << msg;
    EXPECT_NE(msg.find("position [2]"), std::string::npos) << msg;
    EXPECT_NE(msg.find("outside the valid range [0, 5)"), std::string::npos) << msg;
  }
}

TEST(Embedding, NonIntegralFloatIndexIsAnInputError) {
  Embedding layer(5, 2);
  Tensor x = indexTensor(Shape{2, 3}, {0, 1, 2, 3, 4, 0}, DType::F32);
  x.data()[4] = 2.5f;
  std::string msg = forwardError(layer, x);
  EXPECT_NE(msg.find("index 2.5 "), std::string::npos) << msg;
  EXPECT_NE(msg.find("position [1, 1]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not a whole number"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[0, 5)"), std::string::npos) << msg;
  x.data()[4] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_NE(forwardError(layer, x).find("not a whole number"), std::string::npos);
  x.data()[4] = std::numeric_limits<float>::infinity();
  EXPECT_NE(forwardError(layer, x).find("not a whole number"), std::string::npos);
}

TEST(Embedding, OtherElementTypesAreAnInputError) {
  Embedding layer(5, 2);
  EXPECT_THROW(layer.forward(Tensor(Shape{2, 2}, DType::U8)), shoal::InputError);
  EXPECT_THROW(layer.forward(Tensor(Shape{2, 2}, DType::BF16)), shoal::InputError);
}

TEST(Embedding, BadConstructorArgumentsAreUsageErrors) {
  EXPECT_THROW(Embedding(0, 4), shoal::UsageError);
  EXPECT_THROW(Embedding(4, 0), shoal::UsageError);
  EXPECT_THROW(Embedding(4, 2, 4), shoal::UsageError);
  EXPECT_THROW(Embedding(4, 2, -2), shoal::UsageError);
}

TEST(Embedding, InitialisesStandardNormalWithAZeroPaddingRow) {
  Embedding layer(1000, 16, 7);
  shoal::nn::Generator gen(3);
  layer.reset(gen);
  const Tensor& w = layer.weight();
  double sum = 0, squares = 0;
  for (int64_t i = 0; i < w.numel(); ++i) {
    sum += w[i];
    squares += static_cast<double>(w[i]) * w[i];
  }
  double n = static_cast<double>(w.numel() - 16);
  EXPECT_NEAR(sum / n, 0.0, 0.03);
  EXPECT_NEAR(std::sqrt(squares / n), 1.0, 0.03);
  for (int64_t j = 0; j < 16; ++j) EXPECT_EQ(w[7 * 16 + j], 0.0f);
}

TEST(Embedding, DescribesSpecsAndCountsNoFlops) {
  Embedding layer(1000, 16);
  EXPECT_EQ(layer.describe(), "Embedding(1000 -> 16)");
  EXPECT_EQ(Embedding(10, 4, 0).describe(), "Embedding(10 -> 4, padding 0)");
  EXPECT_EQ(layer.spec(), nlohmann::json::parse(R"({"type": "Embedding", "count": 1000, "dim": 16,
                                                     "padding": -1})"));
  Shape in{5};
  EXPECT_EQ(layer.flops({&in, 1}, Shape{5, 16}), 0);
  ASSERT_EQ(layer.parameters().size(), 1u);
  EXPECT_EQ(layer.parameters()[0].name, "weight");
  EXPECT_EQ(layer.parameterCount(), 16000);
}

TEST(Embedding, BuildsFromAJsonSpec) {
  auto model = shoal::nn::buildModel(nlohmann::json::parse(R"([
      {"type": "Embedding", "count": 10, "dim": 4}, {"type": "Flatten"},
      {"type": "Linear", "out": 2}])"), Shape{3});
  auto& seq = dynamic_cast<shoal::nn::Sequential&>(*model);
  ASSERT_EQ(seq.size(), 3u);
  EXPECT_EQ(seq.at(0).describe(), "Embedding(10 -> 4)");
  EXPECT_EQ(model->outputShape(Shape{3}), (Shape{2}));
  EXPECT_EQ(model->parameterCount(), 10 * 4 + 12 * 2 + 2);
  // Float category codes, as a CSV gives them, train through the whole model.
  Tensor x = indexTensor(Shape{4, 3}, {0, 9, 3, 1, 1, 1, 9, 8, 7, 2, 0, 5}, DType::F32);
  EXPECT_EQ(model->forward(x).shape(), (Shape{4, 2}));
  model->zeroGradParameters();
  model->backward(x, Tensor::full(Shape{4, 2}, 1.0f));
  EXPECT_NE(dynamic_cast<Embedding&>(seq.at(0)).gradWeight().sum(), 0.0);
  // The spec it reports rebuilds it, padding included.
  auto again = shoal::nn::buildModel(model->spec(), Shape{3});
  EXPECT_EQ(again->spec(), model->spec());
  auto padded = shoal::nn::buildModel(
      nlohmann::json::parse(R"([{"type": "Embedding", "count": 10, "dim": 4, "padding": 0}])"), Shape{3});
  EXPECT_EQ(dynamic_cast<Embedding&>(dynamic_cast<shoal::nn::Sequential&>(*padded).at(0)).paddingIndex(), 0);
  // Bad arguments name the layer.
  EXPECT_THROW(shoal::nn::buildModel(nlohmann::json::parse(R"([{"type": "Embedding", "dim": 4}])"), Shape{3}),
               shoal::Error);
  EXPECT_THROW(shoal::nn::buildModel(
                   nlohmann::json::parse(R"([{"type": "Embedding", "count": 10, "dim": 4, "padding": 10}])"),
                   Shape{3}),
               shoal::Error);
}
