// LogSoftMax: log(softmax(x)) over dimension 1 (the backend's SoftmaxOp).
#pragma once
#include "shoal/nn/softmax_base.hpp"

namespace shoal::nn {

// The logarithm of SoftMax, computed stably in one primitive; see SoftMaxBase for the shapes.
class LogSoftMax : public SoftMaxBase {
 public:
  LogSoftMax() : SoftMaxBase(true) {}
  LogSoftMax(LogSoftMax&&) = default;

  std::string typeName() const override { return "LogSoftMax"; }
};

}  // namespace shoal::nn
