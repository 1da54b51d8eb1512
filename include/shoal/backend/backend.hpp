// Backend: makes the operations layers run (one factory per operation family); current() is the one in use.
#pragma once
#include <memory>

#include "shoal/backend/activation.hpp"
#include "shoal/backend/batch_norm_op.hpp"
#include "shoal/backend/convolution_geometry.hpp"
#include "shoal/backend/convolution_op.hpp"
#include "shoal/backend/eltwise_op.hpp"
#include "shoal/backend/matmul_op.hpp"
#include "shoal/backend/pooling_geometry.hpp"
#include "shoal/backend/pooling_op.hpp"
#include "shoal/backend/softmax_op.hpp"

namespace shoal::backend {

// Each operation a factory makes is independent: it keeps its own primitives and buffers per
// shape, so every layer holds its own.
class Backend {
 public:
  Backend() = default;
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;
  virtual ~Backend() = default;

  virtual std::unique_ptr<MatmulOp> makeMatmul() const = 0;
  virtual std::unique_ptr<ConvolutionOp> makeConvolution(const ConvolutionGeometry& geometry) const = 0;
  virtual std::unique_ptr<EltwiseOp> makeEltwise(Activation activation) const = 0;
  virtual std::unique_ptr<PoolingOp> makePooling(PoolingAlgorithm algorithm,
                                                 const PoolingGeometry& geometry) const = 0;
  // `eps` is added to the variance; without `affine` there is no scale and shift.
  virtual std::unique_ptr<BatchNormOp> makeBatchNorm(double eps, bool affine) const = 0;
  // `log`: log-softmax instead of softmax.
  virtual std::unique_ptr<SoftmaxOp> makeSoftmax(bool log) const = 0;
};

// The backend layers make their operations with: the CPU one (oneDNN), the only one so far.
const Backend& current();

}  // namespace shoal::backend
