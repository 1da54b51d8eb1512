// JSON model specifications: building, inferred sizes, and errors naming the layer.
#include "shoal/nn/model_spec.hpp"

#include <gtest/gtest.h>

#include "shoal/error.hpp"
#include "shoal/nn/sequential.hpp"
#include "shoal/nn/zoo.hpp"

using namespace shoal;
using nlohmann::json;

namespace {

std::string errorOf(const json& spec, const Shape& input) {
  try {
    nn::buildModel(spec, input, "spec.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(ModelSpec, BuildsAndInfersInputSizes) {
  auto model = nn::buildModel(json::parse(R"([{"type": "Flatten"}, {"type": "Linear", "out": 5},
      {"type": "ReLU"}, {"type": "Dropout", "p": 0.2}, {"type": "Linear", "out": 3},
      {"type": "LogSoftMax"}])"), Shape{2, 3, 4});
  EXPECT_EQ(dynamic_cast<nn::Sequential&>(*model).size(), 6u);
  EXPECT_EQ(model->outputShape(Shape{2, 3, 4}), (Shape{3}));
  EXPECT_EQ(model->parameterCount(), 24 * 5 + 5 + 5 * 3 + 3);
  // The spec a model reports rebuilds the same model.
  auto again = nn::buildModel(model->spec(), Shape{2, 3, 4});
  EXPECT_EQ(again->spec(), model->spec());
}

TEST(ModelSpec, ZooModelsHaveTheExpectedSizes) {
  auto mlp = nn::buildModel(nn::zooSpec("mlp", Shape{1, 28, 28}, 10), Shape{1, 28, 28});
  EXPECT_EQ(mlp->parameterCount(), 784 * 1000 + 1000 + 1000 * 10 + 10);  // 795,010
  auto resnet = nn::buildModel(nn::zooSpec("resnet", Shape{1, 28, 28}, 10), Shape{1, 28, 28});
  // stem 144 + 32, block1 4,672, block2 14,528, block3 57,728, classifier 650.
  EXPECT_EQ(resnet->parameterCount(), 77754);
  EXPECT_THROW(nn::zooSpec("resnet18", Shape{1, 28, 28}, 10), UsageError);
  EXPECT_THROW(nn::zooSpec("resnet", Shape{3, 28, 28}, 10), UsageError);
}

TEST(ModelSpec, ErrorsNameTheLayerAndWhatWasExpected) {
  std::string e = errorOf(json::parse(R"([{"type": "Linear", "out": 4}, {"type": "Softmaxx"}])"), Shape{3});
  EXPECT_NE(e.find("spec.json: layer 2"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown layer type \"Softmaxx\""), std::string::npos) << e;

  e = errorOf(json::parse(R"([{"type": "Linear"}])"), Shape{3});
  EXPECT_NE(e.find("missing argument \"out\""), std::string::npos) << e;

  e = errorOf(json::parse(R"([{"type": "Linear", "out": 4, "outt": 5}])"), Shape{3});
  EXPECT_NE(e.find("unknown argument \"outt\""), std::string::npos) << e;

  e = errorOf(json::parse(R"([{"type": "Linear", "out": "four"}])"), Shape{3});
  EXPECT_NE(e.find("must be an integer"), std::string::npos) << e;

  e = errorOf(json::parse(R"([{"type": "Linear", "out": 8}, {"type": "Linear", "in": 6, "out": 2}])"), Shape{3});
  EXPECT_NE(e.find("layer 2"), std::string::npos) << e;
  EXPECT_NE(e.find("6"), std::string::npos) << e;
  EXPECT_NE(e.find("8"), std::string::npos) << e;

  EXPECT_NE(errorOf(json::parse(R"({"type": "Graph", "layers": []})"), Shape{3}).find("Sequential"),
            std::string::npos);
  EXPECT_NE(errorOf(json::parse(R"([])"), Shape{3}).find("no layers"), std::string::npos);
  EXPECT_NE(errorOf(json::parse(R"(42)"), Shape{3}).find("list of layers"), std::string::npos);
}

TEST(ModelSpec, LeNet5ChainsAndAWrongLinearSizeNamesBothSizes) {
  auto lenet = nn::buildModel(nn::zooSpec("lenet5", Shape{1, 28, 28}, 10), Shape{1, 28, 28});
  EXPECT_EQ(lenet->outputShape(Shape{1, 28, 28}), (Shape{10}));
  // conv 156 + conv 2416 + 48120 + 10164 + 850 parameters.
  EXPECT_EQ(lenet->parameterCount(), 61706);

  std::string e = errorOf(json::parse(R"([
      {"type": "SpatialConvolution", "out": 4, "kernel": 3},
      {"type": "SpatialMaxPooling", "kernel": 2},
      {"type": "Flatten"},
      {"type": "Linear", "in": 100, "out": 10}])"), Shape{1, 9, 9});
  // 4 channels x 3 x 3 after the conv (7x7) and the pooling (3x3): 36 features, not 100.
  EXPECT_NE(e.find("layer 4"), std::string::npos) << e;
  EXPECT_NE(e.find("100"), std::string::npos) << e;
  EXPECT_NE(e.find("36"), std::string::npos) << e;

  e = errorOf(json::parse(R"([{"type": "SpatialConvolution", "in": 3, "out": 4, "kernel": 3}])"),
              Shape{1, 9, 9});
  EXPECT_NE(e.find("layer 1"), std::string::npos) << e;
  EXPECT_NE(e.find("3"), std::string::npos) << e;
}
