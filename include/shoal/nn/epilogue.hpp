// Epilogue: what a module computes when it runs inside the primitive of the module before it (fusion).
#pragma once
#include <string>

#include "shoal/backend/pooling_geometry.hpp"

namespace shoal::nn {

// A ReLU (max(0, x)) or a max pooling with its window geometry: the operations a Linear or a
// SpatialConvolution step can apply to its result before it leaves the step.
struct Epilogue {
  enum class Kind { Relu, MaxPooling };
  Kind kind = Kind::Relu;
  backend::PoolingGeometry pooling;  // for MaxPooling
  std::string label;  // the module's label, for shape errors (set by the plan)
};

}  // namespace shoal::nn
