// The OptimMethod (SGD, Adam, L-BFGS with a learning-rate schedule) that an OptimConfig describes.
#pragma once
#include <memory>

#include "shoal/optim/optim_method.hpp"
#include "shoal/train/run_config.hpp"

namespace shoal::train {

// ConfigError for a malformed schedule or a setting that does not apply to the method.
std::shared_ptr<optim::OptimMethod> makeOptimMethod(const OptimConfig& o);

}  // namespace shoal::train
