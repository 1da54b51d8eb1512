// Building or loading the model a run names, its criterion, and fitting data sets to its input.
#pragma once
#include <memory>
#include <string>

#include "shoal/data/dataset.hpp"
#include "shoal/io/model_file.hpp"
#include "shoal/nn/criterion.hpp"
#include "shoal/nn/module.hpp"
#include "shoal/nn/zoo.hpp"

namespace shoal::train {

// A zoo name ("mlp", "lenet5") or a JSON spec path, built for `inputShape` and `classes`.
// The output size must equal `classes`; ConfigError ("model.name") for an unknown name.
io::LoadedModel buildNamedModel(const std::string& name, const Shape& inputShape, int64_t classes,
                                const nn::ZooOptions& zoo);
// The criterion for `loss` ("nll", "ce" or "auto": ClassNLL when the model ends in LogSoftMax,
// CrossEntropy on raw scores otherwise), weighting each class by `classWeights` (none: all 1);
// "mse": MSECriterion on numeric targets.
std::shared_ptr<nn::Criterion> criterionFor(const std::string& loss, const nn::Module& model,
                                            std::vector<float> classWeights = {});
// The type of the model's last layer ("LogSoftMax", "SoftMax", "Linear", ...).
std::string outputLayerType(const nn::Module& model);
// Checks that `data` fits the model (same element count per sample; reshaped to the model's
// input when only the shape differs) and gives it the model's preprocessing.
void fitDataToModel(data::Dataset& data, const io::ModelInfo& info, const std::string& what);

}  // namespace shoal::train
