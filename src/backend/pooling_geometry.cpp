// Pooling arguments checked as PyTorch checks them, and PyTorch's pooled output sizes.
#include "shoal/backend/pooling_geometry.hpp"

#include "shoal/error.hpp"

namespace shoal::backend {

PoolingGeometry poolingGeometry(const std::string& layer, int64_t kW, int64_t kH, int64_t dW,
                                int64_t dH, int64_t padW, int64_t padH, bool ceilMode) {
  auto text = [](int64_t w, int64_t h) { return std::to_string(w) + "," + std::to_string(h); };
  if (kW <= 0 || kH <= 0)
    throw UsageError(layer + ": kernel must be positive, got " + text(kW, kH));
  if (dW < 0 || dH < 0)
    throw UsageError(layer + ": stride must be non-negative, got " + text(dW, dH));
  if (padW < 0 || padH < 0 || 2 * padW > kW || 2 * padH > kH)
    throw UsageError(layer + ": padding must be between 0 and half the kernel (" + text(kW, kH) +
                     "), got " + text(padW, padH));
  return {.kernelH = kH,
          .kernelW = kW,
          .strideH = dH == 0 ? kH : dH,
          .strideW = dW == 0 ? kW : dW,
          .padH = padH,
          .padW = padW,
          .ceilMode = ceilMode};
}

int64_t poolingOutputSize(int64_t in, int64_t kernel, int64_t stride, int64_t pad, bool ceilMode) {
  int64_t span = in + 2 * pad - kernel;
  if (span < 0) return 0;
  int64_t out = (span + (ceilMode ? stride - 1 : 0)) / stride + 1;
  if (ceilMode && (out - 1) * stride >= in + pad) --out;
  return out;
}

}  // namespace shoal::backend
