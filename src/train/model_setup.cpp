// Building zoo and JSON-specified models, choosing their criterion, and matching data to a model's input.
#include "shoal/train/model_setup.hpp"

#include "shoal/error.hpp"
#include "shoal/nn/class_nll_criterion.hpp"
#include "shoal/nn/cross_entropy_criterion.hpp"
#include "shoal/nn/model_spec.hpp"
#include "shoal/nn/module.hpp"
#include "shoal/nn/mse_criterion.hpp"

namespace shoal::train {

io::LoadedModel buildNamedModel(const std::string& name, const Shape& inputShape, int64_t classes,
                                const nn::ZooOptions& zoo) {
  io::LoadedModel loaded;
  loaded.info.inputShape = inputShape;
  loaded.info.classes = classes;
  if (nn::isZooModel(name)) {
    loaded.model = nn::buildModel(nn::zooSpec(name, inputShape, classes, zoo), inputShape, name);
  } else if (name.size() > 5 && name.ends_with(".json")) {
    loaded.model = nn::buildModel(nn::readJsonFile(name), inputShape, name);
  } else {
    throw ConfigError("model.name", "\"model.name\": '" + name +
                                        "' is neither a built-in model (mlp, lenet5, resnet, tabular) nor a .json spec");
  }
  Shape out = loaded.model->outputShape(inputShape);
  if (!(out == Shape{classes}))
    throw ShapeError(name + ": the model outputs " + out.str() + " per sample but the data has " +
                     std::to_string(classes) + " classes (expected [" + std::to_string(classes) + "])");
  return loaded;
}

std::string outputLayerType(const nn::Module& model) {
  return model.outputModule().typeName();
}

std::shared_ptr<nn::Criterion> criterionFor(const std::string& loss, const nn::Module& model,
                                            std::vector<float> classWeights) {
  if (loss == "mse") return std::make_shared<nn::MSECriterion>(nn::Reduction::Mean);
  if (loss == "nll" || (loss == "auto" && outputLayerType(model) == "LogSoftMax"))
    return std::make_shared<nn::ClassNLLCriterion>(nn::Reduction::Mean, std::move(classWeights));
  return std::make_shared<nn::CrossEntropyCriterion>(nn::Reduction::Mean, std::move(classWeights));
}

void fitDataToModel(data::Dataset& data, const io::ModelInfo& info, const std::string& what) {
  if (data.sampleShape().numel() != info.inputShape.numel())
    throw UsageError(what + " has samples of shape " + data.sampleShape().str() +
                     " but the model expects " + info.inputShape.str());
  if (!(data.sampleShape() == info.inputShape)) data.reshapeSamples(info.inputShape);
  data.setPreprocessing(info.preprocessing);
}

}  // namespace shoal::train
