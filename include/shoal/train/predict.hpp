// Running a trained model over a whole data set (BigDL's predict): one output row per sample.
#pragma once
#include <cstdint>

#include "shoal/data/dataset.hpp"
#include "shoal/nn/module.hpp"

namespace shoal::train {

// The model's outputs for every sample of `data` ([size, C] for a classifier), computed in
// evaluation mode in batches of `batchSize`; labels, if any, are not used. Restores the
// model's previous mode.
Tensor predict(nn::Module& model, const data::Dataset& data, int64_t batchSize);

}  // namespace shoal::train
