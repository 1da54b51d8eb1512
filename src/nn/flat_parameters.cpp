// Compaction of parameters and gradients into two flat buffers.
#include "shoal/nn/flat_parameters.hpp"

#include "shoal/backend/vector_kernels.hpp"

namespace shoal::nn {

FlatParameters::FlatParameters(std::vector<Parameter> params) : params_(std::move(params)) {
  int64_t total = 0;
  for (const Parameter& p : params_) total += p.value->numel();
  values_ = Tensor(Shape{total});
  grads_ = Tensor(Shape{total});
  int64_t offset = 0;
  for (Parameter& p : params_) {
    int64_t n = p.value->numel();
    values_.flatSlice(offset, n).copyFrom(*p.value);
    if (p.grad->defined()) grads_.flatSlice(offset, n).copyFrom(*p.grad);
    offset += n;
  }
  bindViews();
  // Parameters that had a bf16 copy (a model set to bf16, then moved) keep one, now here.
  for (const Parameter& p : params_)
    if (p.lowPrecision && p.lowPrecision->defined()) {
      enableLowPrecisionCopy();
      break;
    }
}

void FlatParameters::bindViews() {
  int64_t offset = 0;
  for (Parameter& p : params_) {
    int64_t n = p.value->numel();
    Shape shape = p.value->shape();
    *p.value = values_.flatSlice(offset, n).view(shape);
    *p.grad = grads_.flatSlice(offset, n).view(shape);
    offset += n;
  }
}

void FlatParameters::placeGrads(Tensor storage) {
  expectShape(storage, Shape{count()}, "FlatParameters::placeGrads storage");
  storage.copyFrom(grads_);
  grads_ = std::move(storage);
  bindViews();
}

void FlatParameters::enableLowPrecisionCopy() {
  if (!lowPrecision_.defined()) lowPrecision_ = Tensor(Shape{count()}, DType::BF16);
  int64_t offset = 0;
  for (Parameter& p : params_) {
    int64_t n = p.value->numel();
    if (p.lowPrecision) *p.lowPrecision = lowPrecision_.flatSlice(offset, n).view(p.value->shape());
    offset += n;
  }
  refreshLowPrecisionCopy();
}

void FlatParameters::disableLowPrecisionCopy() {
  for (Parameter& p : params_)
    if (p.lowPrecision) *p.lowPrecision = Tensor();
  lowPrecision_ = Tensor();
}

void FlatParameters::refreshLowPrecisionCopy() {
  if (lowPrecision_.defined()) backend::toBf16(values_, lowPrecision_);
}

void FlatParameters::zeroGrads() { backend::zero(grads_.data(), grads_.numel()); }

void FlatParameters::discardGrads() {
  for (Parameter& p : params_) {
    if (p.overwriteNext)
      *p.overwriteNext = true;
    else
      backend::zero(p.grad->data(), p.grad->numel());
  }
}

}  // namespace shoal::nn
