// Activation: the element-wise functions a backend's EltwiseOp computes.
#pragma once

namespace shoal::backend {

enum class Activation { Relu, Tanh, Sigmoid };

}  // namespace shoal::backend
