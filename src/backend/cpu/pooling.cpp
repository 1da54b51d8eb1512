// oneDNN pooling primitives per input shape; ceil mode as right padding, PyTorch's divisors.
#include "pooling.hpp"

#include <algorithm>
#include <vector>

#include "dnnl_binding.hpp"
#include "engine.hpp"
#include "shoal/error.hpp"

namespace shoal::backend::cpu {

using dnnl::memory;

int64_t poolingRightPadding(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t pad) {
  return std::max<int64_t>(0, (out - 1) * stride + kernel - in - pad);
}

namespace {

// PyTorch's divisor correction for windows overhanging the padded input: kernel / part inside
// per output position (1 elsewhere); empty when no window overhangs.
std::vector<float> overhangFactors(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                                   int64_t pad) {
  std::vector<float> f(out, 1.0f);
  bool any = false;
  for (int64_t o = 0; o < out; ++o) {
    int64_t start = o * stride - pad;
    int64_t inside = std::min(start + kernel, in + pad) - start;
    if (inside < kernel) {
      f[o] = static_cast<float>(kernel) / static_cast<float>(inside);
      any = true;
    }
  }
  return any ? f : std::vector<float>{};
}

dnnl::algorithm toDnnl(PoolingAlgorithm a) {
  switch (a) {
    case PoolingAlgorithm::Max: return dnnl::algorithm::pooling_max;
    case PoolingAlgorithm::AverageIncludePadding:
      return dnnl::algorithm::pooling_avg_include_padding;
    case PoolingAlgorithm::AverageExcludePadding:
      return dnnl::algorithm::pooling_avg_exclude_padding;
  }
  return dnnl::algorithm::pooling_max;
}

}  // namespace

struct Pooling::Impl {
  struct Entry {
    memory::dims srcDims, dstDims, strides, kernel, padL, padR;
    dnnl::pooling_forward::primitive_desc forwardPd;
    Layout srcLayout = Layout::Plain;
    memory src, gradSrc, workspace;
    // dst and gradDst are plain; a channels-last src's primitives pool nhwc to nhwc, staged.
    Staged dst, gradDst;
    BoundPrimitive forward, backward;     // backward made on the first backward pass
    std::vector<float> factorH, factorW;  // overhang corrections (AverageIncludePadding)
    Tensor scaledGradDst;                 // gradDst with the corrections applied
  };

  Impl(PoolingAlgorithm a, const PoolingGeometry& geometry) : algorithm(a), g(geometry) {}

  Entry& entry(const Shape& src, Layout srcLayout) {
    Shape key{src[0], src[1], src[2], src[3], static_cast<int64_t>(srcLayout)};
    return cache.get(key, [&] { return make(src, srcLayout); });
  }

  // The primitives' layout of dst [N, C, OH, OW]: src's.
  static memory::desc dstDesc(const Entry& e) {
    return tensorDesc(e.dstDims, DType::F32, e.srcLayout);
  }

  // src [N, C, H, W], plain or channels-last
  Entry make(const Shape& src, Layout srcLayout) const {
    Entry e;
    e.srcLayout = srcLayout;
    int64_t h = src[2], w = src[3];
    int64_t oh = poolingOutputSize(h, g.kernelH, g.strideH, g.padH, g.ceilMode);
    int64_t ow = poolingOutputSize(w, g.kernelW, g.strideW, g.padW, g.ceilMode);
    e.srcDims = {src[0], src[1], h, w};
    e.dstDims = {src[0], src[1], oh, ow};
    e.strides = {g.strideH, g.strideW};
    e.kernel = {g.kernelH, g.kernelW};
    e.padL = {g.padH, g.padW};
    e.padR = {poolingRightPadding(h, oh, g.kernelH, g.strideH, g.padH),
              poolingRightPadding(w, ow, g.kernelW, g.strideW, g.padW)};
    dnnl::pooling_forward::desc desc(dnnl::prop_kind::forward_training, toDnnl(algorithm),
                                     tensorDesc(e.srcDims, DType::F32, srcLayout), dstDesc(e),
                                     e.strides, e.kernel, e.padL, e.padR);
    e.forwardPd = dnnl::pooling_forward::primitive_desc(desc, userScratchpad(), engine());
    e.src = memory(tensorDesc(e.srcDims, DType::F32, srcLayout), engine(), nullptr);
    e.dst = Staged(plainDesc(e.dstDims), dstDesc(e), Staged::Direction::Out);
    std::vector<std::pair<int, memory>> args{{DNNL_ARG_SRC, e.src}, {DNNL_ARG_DST, e.dst.inner()}};
    if (algorithm == PoolingAlgorithm::Max) {
      e.workspace = memory(e.forwardPd.workspace_desc(), engine());
      args.emplace_back(DNNL_ARG_WORKSPACE, e.workspace);
    }
    e.forward = BoundPrimitive(e.forwardPd, std::move(args));
    if (algorithm == PoolingAlgorithm::AverageIncludePadding) {
      e.factorH = overhangFactors(h, oh, g.kernelH, g.strideH, g.padH);
      e.factorW = overhangFactors(w, ow, g.kernelW, g.strideW, g.padW);
    }
    return e;
  }

  void makeBackward(Entry& e) const {
    const memory::desc src = tensorDesc(e.srcDims, DType::F32, e.srcLayout);
    dnnl::pooling_backward::desc desc(toDnnl(algorithm), src, dstDesc(e), e.strides, e.kernel,
                                      e.padL, e.padR);
    dnnl::pooling_backward::primitive_desc pd(desc, userScratchpad(), engine(), e.forwardPd);
    e.gradSrc = memory(src, engine(), nullptr);
    e.gradDst = Staged(plainDesc(e.dstDims), dstDesc(e), Staged::Direction::In);
    std::vector<std::pair<int, memory>> args{{DNNL_ARG_DIFF_DST, e.gradDst.inner()},
                                             {DNNL_ARG_DIFF_SRC, e.gradSrc}};
    if (algorithm == PoolingAlgorithm::Max) args.emplace_back(DNNL_ARG_WORKSPACE, e.workspace);
    e.backward = BoundPrimitive(pd, std::move(args));
  }

  // t [N, C, OH, OW] *= factorH[oh] * factorW[ow]
  static void correct(Entry& e, Tensor& t) {
    if (e.factorH.empty() && e.factorW.empty()) return;
    int64_t oh = e.dstDims[2], ow = e.dstDims[3], planes = e.dstDims[0] * e.dstDims[1];
    for (int64_t p = 0; p < planes; ++p)
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j)
          t[(p * oh + i) * ow + j] *=
              (e.factorH.empty() ? 1.0f : e.factorH[i]) * (e.factorW.empty() ? 1.0f : e.factorW[j]);
  }

  PoolingAlgorithm algorithm;
  PoolingGeometry g;
  ShapeCache<Entry> cache;
};

Pooling::Pooling(PoolingAlgorithm algorithm, const PoolingGeometry& geometry)
    : impl_(std::make_unique<Impl>(algorithm, geometry)) {}
Pooling::~Pooling() = default;

void Pooling::forward(const Tensor& src, Tensor& dst) {
  Impl::Entry& e = impl_->entry(src.shape(), src.layout());
  bind(e.src, src);
  e.dst.bindOutput(dst);
  e.forward.run();
  e.dst.flush();
  Impl::correct(e, dst);
}

void Pooling::backward(const Tensor& gradDst, Tensor& gradSrc) {
  Impl::Entry& e = impl_->entry(gradSrc.shape(), gradSrc.layout());
  if (e.backward.empty()) impl_->makeBackward(e);
  if (e.factorH.empty() && e.factorW.empty()) {
    e.gradDst.load(gradDst);
  } else {
    e.scaledGradDst.resize(gradDst.shape());
    e.scaledGradDst.copyFrom(gradDst);
    Impl::correct(e, e.scaledGradDst);
    e.gradDst.load(e.scaledGradDst);
  }
  bind(e.gradSrc, gradSrc);
  e.backward.run();
}

}  // namespace shoal::backend::cpu
