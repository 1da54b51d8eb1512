// Identity layer: the move constructor (the passes are inline in the header).
#include "shoal/nn/identity.hpp"

namespace shoal::nn {

Identity::Identity(Identity&& other) { training_ = other.training_; }

}  // namespace shoal::nn
