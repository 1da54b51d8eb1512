// The CPU backend's factories: each makes the oneDNN class of its operation family.
#include "cpu_backend.hpp"

#include "batch_norm.hpp"
#include "convolution.hpp"
#include "eltwise.hpp"
#include "matmul.hpp"
#include "pooling.hpp"
#include "single_plane_convolution.hpp"
#include "softmax.hpp"
#include "subsampled_pointwise_convolution.hpp"

namespace shoal::backend::cpu {
namespace {

class CpuBackend final : public Backend {
 public:
  std::unique_ptr<MatmulOp> makeMatmul() const override { return std::make_unique<Matmul>(); }
  std::unique_ptr<ConvolutionOp> makeConvolution(const ConvolutionGeometry& geometry) const override {
    if (SubsampledPointwiseConvolution::handles(geometry))
      return std::make_unique<SubsampledPointwiseConvolution>(geometry);
    if (SinglePlaneConvolution::handles(geometry))
      return std::make_unique<SinglePlaneConvolution>(geometry);
    return std::make_unique<Convolution>(geometry);
  }
  std::unique_ptr<EltwiseOp> makeEltwise(Activation activation) const override {
    return std::make_unique<Eltwise>(activation);
  }
  std::unique_ptr<PoolingOp> makePooling(PoolingAlgorithm algorithm,
                                         const PoolingGeometry& geometry) const override {
    return std::make_unique<Pooling>(algorithm, geometry);
  }
  std::unique_ptr<BatchNormOp> makeBatchNorm(double eps, bool affine) const override {
    return std::make_unique<BatchNorm>(eps, affine);
  }
  std::unique_ptr<SoftmaxOp> makeSoftmax(bool log) const override {
    return std::make_unique<Softmax>(log);
  }
};

}  // namespace

const Backend& cpuBackend() {
  static const CpuBackend backend;
  return backend;
}

}  // namespace shoal::backend::cpu
