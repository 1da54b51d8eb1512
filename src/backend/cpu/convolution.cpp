// oneDNN convolution primitives per input shape, staged layouts, accumulated weight gradients,
// and the fused ReLU and max pooling that keep the convolution's blocked layout.
#include "convolution.hpp"

#include <optional>
#include <string>

#include "blocked_max_pooling.hpp"
#include "dnnl_binding.hpp"
#include "engine.hpp"
#include "shoal/error.hpp"

namespace shoal::backend::cpu {

using dnnl::memory;
using Direction = Staged::Direction;

static_assert(ConvolutionOp::kMaxFusedPoolingWindow <= BlockedMaxPooling::kMaxWindow,
              "a fused pooling window must fit BlockedMaxPooling's one-byte positions");

namespace {

// The layout of `desc` [N, C, H, W] as strides with channels in blocks that BlockedMaxPooling
// supports (nChw16c, nChw8c, any plain order), if it is one; nothing for other layouts.
std::optional<ChannelBlocks> channelBlocks(const memory::desc& desc) {
  const dnnl_memory_desc_t& d = desc.data;
  if (d.format_kind != dnnl_blocked || d.ndims != 4 || d.offset0 != 0) return std::nullopt;
  const dnnl_blocking_desc_t& b = d.format_desc.blocking;
  ChannelBlocks layout{.batch = b.strides[0], .channelBlock = b.strides[1], .row = b.strides[2],
                       .column = b.strides[3]};
  if (b.inner_nblks == 1 && b.inner_idxs[0] == 1)
    layout.block = b.inner_blks[0];
  else if (b.inner_nblks != 0)
    return std::nullopt;
  if (!BlockedMaxPooling::supports(layout.block)) return std::nullopt;
  return layout;
}

// Whether `a` and `b` [N, C, H, W] put every element at the same place (nChw16c and NHWC for
// 16 planes, say): offsets are n * batch + (offset of channel c) + h * row + w * column in both.
bool sameAddresses(const memory::desc& a, const memory::desc& b) {
  std::optional<ChannelBlocks> la = channelBlocks(a), lb = channelBlocks(b);
  if (!la || !lb || a.dims() != b.dims()) return false;
  if (la->batch != lb->batch || la->row != lb->row || la->column != lb->column) return false;
  auto channelOffset = [](const ChannelBlocks& l, int64_t c) {
    return (c / l.block) * l.channelBlock + c % l.block;
  };
  for (int64_t c = 0; c < a.dims()[1]; ++c)
    if (channelOffset(*la, c) != channelOffset(*lb, c)) return false;
  return true;
}

// `from` as seen by a primitive that wants `desc`: `from` itself (under `desc` where only the
// description differs), or a copy made by a reorder.
struct Relayout {
  Relayout() = default;
  Relayout(const memory& from, const memory::desc& desc) : to(from) {
    if (from.get_desc() == desc) return;
    if (from.get_desc().data_type() == desc.data_type() && sameAddresses(from.get_desc(), desc)) {
      to = memory(desc, engine(), from.get_data_handle());
      return;
    }
    to = memory(desc, engine());
    reorder = BoundPrimitive(dnnl::reorder::primitive_desc(from, to, userScratchpad()),
                             {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}});
  }
  void run() const {
    if (!reorder.empty()) reorder.run();
  }
  memory to;
  BoundPrimitive reorder;
};

memory::desc channelsLastDesc(const memory::dims& dims, DType dtype) {
  return tensorDesc(dims, dtype, Layout::ChannelsLast);
}

// Where a tensor is channels-last, the primitive is asked for nhwc (it then reads or writes the
// tensor in place); otherwise `otherwise`.
memory::desc descFor(Layout layout, const memory::dims& dims, DType dtype,
                     const memory::desc& otherwise) {
  return layout == Layout::ChannelsLast ? channelsLastDesc(dims, dtype) : otherwise;
}

// Whether oneDNN's implementation for a primitive descriptor is more than its reference kernel.
bool notReference(const dnnl::primitive_desc_base& pd) {
  return std::string(pd.impl_info_str()).find("ref") == std::string::npos;
}

bool usesAvx512(const dnnl::primitive_desc_base& pd) {
  return std::string(pd.impl_info_str()).find("avx512") != std::string::npos;
}

// make()'s primitive descriptor where oneDNN has an implementation for its layouts that
// `accept`s, else nothing.
template <class Make, class Accept>
auto madeIf(Make make, Accept accept) -> std::optional<decltype(make())> {
  try {
    auto pd = make();
    if (accept(pd)) return pd;
  } catch (const dnnl::error&) {  // no implementation for these layouts
  }
  return std::nullopt;
}

// make(true) (nhwc for channels-last tensors) where that has more than the reference kernel,
// else make(false) (oneDNN chooses the layouts and the staging reorders).
template <class Make>
auto inPlaceOr(bool channelsLast, Make make) {
  if (channelsLast)
    if (auto pd = madeIf([&] { return make(true); }, notReference)) return *pd;
  return make(false);
}

// `desc`'s layout (strides count elements, so they stay) holding f32 elements.
memory::desc asF32(const memory::desc& desc) {
  dnnl_memory_desc_t d = desc.data;
  d.data_type = dnnl_f32;
  return memory::desc(d);
}

}  // namespace

struct Convolution::Impl {
  struct Entry {
    memory::dims srcDims, weightDims, biasDims, dstDims, strides, padding;
    DType srcType = DType::F32;
    Layout srcLayout = Layout::Plain;
    dnnl::convolution_forward::primitive_desc forwardPd;
    Staged src, weight, dst;
    memory bias;
    BoundPrimitive forward;
    // Made on the first backward pass at this shape.
    Staged dataGradDst, dataWeight, gradSrc;
    DType gradSrcType = DType::F32;  // what gradSrc's staging writes
    BoundPrimitive backwardData;
    Staged weightsSrc, weightsGradDst, gradWeight, gradBias;
    BoundPrimitive backwardWeights;
    // With a fused max pooling: the convolution's (ReLU'd) result and its gradient stay in
    // forwardPd.dst_desc()'s layout; only the pooled [N, Out, PH, PW] crosses to plain tensors.
    // The result is of the compute type (a bf16 convolution writes bf16, which the pooling
    // reads). The routed gradient is bf16 for bf16 products where the pooling windows tile (each
    // element written once: the rounding a reorder would do, without the reorder), else f32
    // (overlapping windows add up; the relayout after rounds it for bf16 products).
    memory convDst, gradConvDst;
    BlockedMaxPooling pool;
    Relayout dataGradConvDst, weightsGradConvDst;  // gradConvDst as the backward passes want it
    const std::byte* routedGrad = nullptr;  // the pooled gradient gradConvDst holds this pass
  };

  explicit Impl(const ConvolutionGeometry& geometry) : g(geometry) {}

  // src [N, C, H, W] of `srcType` elements in `srcLayout`
  Entry& entry(const Shape& src, DType srcType, Layout srcLayout) {
    Shape key{src[0], src[1], src[2], src[3], static_cast<int64_t>(srcType),
              static_cast<int64_t>(srcLayout)};
    return cache.get(key, [&] { return makeForward(src, srcType, srcLayout); });
  }

  // Whether src or the result crosses channels-last, so that primitives are asked for nhwc.
  bool channelsLast(const Entry& e) const {
    return e.srcLayout == Layout::ChannelsLast || outputLayout == Layout::ChannelsLast;
  }

  // With bf16 computation, src, weights and the output gradient enter the primitives as bf16
  // (the staging reorders convert them) and the products accumulate in f32; the result leaves as
  // the output type, the weight gradients as f32 and the input gradient as the caller's tensor.
  // Channels-last src, dst and gradients meet primitives made for nhwc, which read and write them
  // in place; where oneDNN has only its reference kernel for that, it chooses the layouts and
  // the staging reorders.
  Entry makeForward(const Shape& src, DType srcType, Layout srcLayout) const {
    Entry e;
    int64_t n = src[0], c = src[1], h = src[2], w = src[3];
    e.srcType = srcType;
    // One plane (an image's grey values) is laid out the same plain or channels-last: read as
    // channels-last into a channels-last result, oneDNN's nhwc kernels take it in place and the
    // result and its gradient need no reorders (the resnet's stem, forward and backward at batch
    // 128 on a Zen 4: 1.8-2.6 -> 1.2-1.5 ms).
    e.srcLayout = c == 1 && outputLayout == Layout::ChannelsLast ? Layout::ChannelsLast : srcLayout;
    int64_t oh = (h + 2 * g.padH - g.kernelH) / g.strideH + 1;
    int64_t ow = (w + 2 * g.padW - g.kernelW) / g.strideW + 1;
    e.srcDims = {n, c, h, w};
    e.dstDims = {n, g.outputPlanes, oh, ow};
    e.biasDims = {g.outputPlanes};
    // [Out, C/groups, kH, kW] is [groups, Out/groups, C/groups, kH, kW] in memory.
    e.weightDims = g.groups == 1 ? memory::dims{g.outputPlanes, c, g.kernelH, g.kernelW}
                                 : memory::dims{g.groups, g.outputPlanes / g.groups, c / g.groups,
                                                g.kernelH, g.kernelW};
    e.strides = {g.strideH, g.strideW};
    e.padding = {g.padH, g.padW};
    dnnl::primitive_attr attr = userScratchpad();
    if (fusedRelu) {
      dnnl::post_ops ops;
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
      attr.set_post_ops(ops);
    }
    auto primitiveFor = [&](const memory::desc& src, const memory::desc& dst) {
      auto desc = g.withBias ? dnnl::convolution_forward::desc(
                                   dnnl::prop_kind::forward_training,
                                   dnnl::algorithm::convolution_direct, src,
                                   anyDesc(e.weightDims, compute), plainDesc(e.biasDims), dst,
                                   e.strides, e.padding, e.padding)
                             : dnnl::convolution_forward::desc(
                                   dnnl::prop_kind::forward_training,
                                   dnnl::algorithm::convolution_direct, src,
                                   anyDesc(e.weightDims, compute), dst, e.strides, e.padding,
                                   e.padding);
      return dnnl::convolution_forward::primitive_desc(desc, attr, engine());
    };
    // A fused pooling reads the result in the compute type; alone, it leaves as the output type.
    const DType result = pooling ? compute : output;
    const memory::desc anySrc = anyDesc(e.srcDims, compute), anyDst = anyDesc(e.dstDims, result);
    e.forwardPd = inPlaceOr(channelsLast(e), [&](bool nhwc) {
      return nhwc ? primitiveFor(descFor(e.srcLayout, e.srcDims, compute, anySrc),
                                 descFor(outputLayout, e.dstDims, result, anyDst))
                  : primitiveFor(anySrc, anyDst);
    });
    // The fused pooling reads channel blocks of 1 to 16 lanes; in any other layout, plain.
    if (pooling && !channelBlocks(e.forwardPd.dst_desc()))
      e.forwardPd = primitiveFor(anySrc, plainDesc(e.dstDims, result));
    e.src = Staged(tensorDesc(e.srcDims, srcType, e.srcLayout), e.forwardPd.src_desc(), Direction::In);
    e.weight = Staged(plainDesc(e.weightDims), e.forwardPd.weights_desc(), Direction::In);
    if (pooling) {
      e.convDst = memory(e.forwardPd.dst_desc(), engine());
    } else {
      e.dst = Staged(tensorDesc(e.dstDims, output, outputLayout), e.forwardPd.dst_desc(),
                     Direction::Out);
      e.convDst = e.dst.inner();
    }
    e.bias = memory(plainDesc(e.biasDims), engine(), nullptr);
    std::vector<std::pair<int, memory>> args{{DNNL_ARG_SRC, e.src.inner()},
                                             {DNNL_ARG_WEIGHTS, e.weight.inner()},
                                             {DNNL_ARG_DST, e.convDst}};
    if (g.withBias) args.emplace_back(DNNL_ARG_BIAS, e.bias);
    e.forward = BoundPrimitive(e.forwardPd, std::move(args));
    if (pooling)
      e.pool = BlockedMaxPooling(e.dstDims, *channelBlocks(e.forwardPd.dst_desc()), *pooling,
                                 fusedRelu);
    return e;
  }

  // Fills gradConvDst from the pooled gradient (f32 or bf16) once per backward pass.
  void routeGradient(Entry& e, const Tensor& gradDst) const {
    if (e.routedGrad == gradDst.bytes()) return;
    void* routed = e.gradConvDst.get_data_handle();
    auto routeInto = [&](auto* into) {
      if (gradDst.dtype() == DType::BF16)
        e.pool.backward(gradDst.data<bfloat16>(), into);
      else
        e.pool.backward(gradDst.data(), into);
    };
    if (e.gradConvDst.get_desc().data_type() == memory::data_type::bf16)
      routeInto(static_cast<bfloat16*>(routed));
    else
      routeInto(static_cast<float*>(routed));
    e.routedGrad = gradDst.bytes();
  }

  // gradConvDst as a backward pass wants it (`desc`), kept in `relayout`.
  memory routedGradientAs(Entry& e, const memory::desc& desc, Relayout& relayout) const {
    if (!e.gradConvDst) {
      const bool bf16 = compute == DType::BF16 && e.pool.tiles();
      e.gradConvDst = memory(bf16 ? e.forwardPd.dst_desc() : asF32(e.forwardPd.dst_desc()), engine());
    }
    relayout = Relayout(e.gradConvDst, desc);
    return relayout.to;
  }

  // The input gradient's staging writes `gradSrcType` elements.
  void makeBackwardData(Entry& e, DType gradSrcType) const {
    // oneDNN's blocked kernels pad the gradient's channels to 16: with the one to three planes
    // of an image input that is 5-16 times the work (LeNet-5's first layer: 10-20 ms at batch
    // 128 on one core), while the plain GEMM formulation takes 2-4 ms.
    bool fewPlanes = e.srcDims[1] / g.groups < 4;
    auto layout = [&](const memory::dims& d, DType t) {
      return fewPlanes ? plainDesc(d, t) : anyDesc(d, t);
    };
    auto pd = inPlaceOr(channelsLast(e), [&](bool nhwc) {
      const memory::desc gradSrc = layout(e.srcDims, DType::F32), gradDst = layout(e.dstDims, compute);
      dnnl::convolution_backward_data::desc desc(
          dnnl::algorithm::convolution_direct,
          nhwc ? descFor(e.srcLayout, e.srcDims, DType::F32, gradSrc) : gradSrc,
          layout(e.weightDims, compute),
          nhwc ? descFor(outputLayout, e.dstDims, compute, gradDst) : gradDst, e.strides,
          e.padding, e.padding);
      return dnnl::convolution_backward_data::primitive_desc(desc, userScratchpad(), engine(),
                                                             e.forwardPd);
    });
    memory gradDst;
    if (pooling) {
      gradDst = routedGradientAs(e, pd.diff_dst_desc(), e.dataGradConvDst);
    } else {
      e.dataGradDst = Staged(tensorDesc(e.dstDims, DType::F32, outputLayout), pd.diff_dst_desc(),
                             Direction::In);
      gradDst = e.dataGradDst.inner();
    }
    e.dataWeight = pd.weights_desc() == e.weight.innerDesc()
                       ? e.weight
                       : Staged(plainDesc(e.weightDims), pd.weights_desc(), Direction::In);
    e.gradSrc = Staged(tensorDesc(e.srcDims, gradSrcType, e.srcLayout), pd.diff_src_desc(),
                       Direction::Out);
    e.gradSrcType = gradSrcType;
    e.backwardData = BoundPrimitive(pd, {{DNNL_ARG_DIFF_DST, gradDst},
                                         {DNNL_ARG_WEIGHTS, e.dataWeight.inner()},
                                         {DNNL_ARG_DIFF_SRC, e.gradSrc.inner()}});
  }

  // oneDNN 2.6 computes weight gradients with AVX-512 on blocked layouts only for some plane
  // counts; for others (LeNet-5's second convolution: 6 input planes) `any` gets its AVX2
  // kernel on 8-plane blocks, while channels-last (NHWC) input and gradient get an AVX-512
  // kernel: 0.85 -> 0.31 ms at batch 128 here. Channels-last is taken when only it has one.
  // The weight gradients accumulate in f32 from src and the output gradient in `compute`.
  dnnl::convolution_backward_weights::primitive_desc backwardWeightsPd(const Entry& e) const {
    auto make = [&](const memory::desc& src, const memory::desc& dst) {
      auto desc = g.withBias ? dnnl::convolution_backward_weights::desc(
                                   dnnl::algorithm::convolution_direct, src,
                                   anyDesc(e.weightDims), plainDesc(e.biasDims), dst, e.strides,
                                   e.padding, e.padding)
                             : dnnl::convolution_backward_weights::desc(
                                   dnnl::algorithm::convolution_direct, src,
                                   anyDesc(e.weightDims), dst, e.strides, e.padding, e.padding);
      return dnnl::convolution_backward_weights::primitive_desc(desc, userScratchpad(), engine(),
                                                                e.forwardPd);
    };
    const memory::desc anySrc = anyDesc(e.srcDims, compute), anyDst = anyDesc(e.dstDims, compute);
    auto inPlace = [&] {
      return make(descFor(e.srcLayout, e.srcDims, compute, anySrc),
                  descFor(outputLayout, e.dstDims, compute, anyDst));
    };
    auto allChannelsLast = [&] {
      return make(channelsLastDesc(e.srcDims, compute), channelsLastDesc(e.dstDims, compute));
    };
    if (channelsLast(e))
      if (auto pd = madeIf(inPlace, usesAvx512)) return *pd;
    auto chosen = make(anySrc, anyDst);
    if (usesAvx512(chosen)) return chosen;
    if (auto pd = madeIf(allChannelsLast, usesAvx512)) return *pd;
    // Below AVX-512, oneDNN's blocked weight-gradient kernels pad the input to blocks of 8
    // planes; with fewer planes its channels-last kernel does less: 1.4x for LeNet-5's second
    // convolution (6 planes), 3-4x for an image's one plane (LeNet-5's first, the resnet's stem).
    if (e.srcDims[1] / g.groups < 8)
      return madeIf(allChannelsLast, notReference).value_or(chosen);
    return chosen;
  }

  void makeBackwardWeights(Entry& e) const {
    dnnl::convolution_backward_weights::primitive_desc pd = backwardWeightsPd(e);
    e.weightsSrc = pd.src_desc() == e.src.innerDesc()
                       ? e.src
                       : Staged(tensorDesc(e.srcDims, e.srcType, e.srcLayout), pd.src_desc(),
                                Direction::In);
    memory gradDst;
    if (pooling) {
      gradDst = routedGradientAs(e, pd.diff_dst_desc(), e.weightsGradConvDst);
    } else {
      e.weightsGradDst =
          !e.backwardData.empty() && pd.diff_dst_desc() == e.dataGradDst.innerDesc()
              ? e.dataGradDst
              : Staged(tensorDesc(e.dstDims, DType::F32, outputLayout), pd.diff_dst_desc(),
                       Direction::In);
      gradDst = e.weightsGradDst.inner();
    }
    e.gradWeight = Staged(plainDesc(e.weightDims), pd.diff_weights_desc(), Direction::Accumulate);
    std::vector<std::pair<int, memory>> args{{DNNL_ARG_SRC, e.weightsSrc.inner()},
                                             {DNNL_ARG_DIFF_DST, gradDst},
                                             {DNNL_ARG_DIFF_WEIGHTS, e.gradWeight.inner()}};
    if (g.withBias) {
      e.gradBias = Staged(plainDesc(e.biasDims), pd.diff_bias_desc(), Direction::Accumulate);
      args.emplace_back(DNNL_ARG_DIFF_BIAS, e.gradBias.inner());
    }
    e.backwardWeights = BoundPrimitive(pd, std::move(args));
  }

  // UsageError unless `t` (the tensor `what`) is in `layout`.
  static void expectLayout(const Tensor& t, Layout layout, const char* what) {
    if (t.layout() != layout)
      throw UsageError(std::string("Convolution: ") + what + " is " +
                       std::string(layoutName(t.layout())) + ", expected " +
                       std::string(layoutName(layout)));
  }

  ConvolutionGeometry g;
  DType compute = DType::F32;  // the element type the products read
  DType output = DType::F32;   // the element type of the forward result
  Layout outputLayout = Layout::Plain;  // the forward result's (and its gradient's)
  DType lastSrcType = DType::F32;  // src's element type in the last forward
  bool fusedRelu = false;
  std::optional<PoolingGeometry> pooling;
  ShapeCache<Entry> cache;
};

Convolution::Convolution(const ConvolutionGeometry& geometry)
    : impl_(std::make_unique<Impl>(geometry)) {}
Convolution::~Convolution() = default;

void Convolution::fuseRelu(bool fused) {
  impl_->fusedRelu = fused;
  impl_->cache = {};  // primitives made before have no ReLU
}

void Convolution::setComputeType(DType type) {
  dnnlType(type);  // f32 or bf16
  impl_->compute = type;
  impl_->cache = {};  // primitives made before read the other type
}

void Convolution::setOutputType(DType type) {
  dnnlType(type);  // f32 or bf16
  impl_->output = type;
  impl_->cache = {};  // primitives made before write the other type
}

void Convolution::setOutputLayout(Layout layout) {
  if (layout == Layout::ChannelsLast && impl_->pooling)
    throw UsageError("Convolution: a fused pooling writes plain tensors, not channels-last");
  impl_->outputLayout = layout;
  impl_->cache = {};  // primitives made before write the other layout
}

void Convolution::fuseMaxPooling(const PoolingGeometry& pooling) {
  if (impl_->outputLayout == Layout::ChannelsLast)
    throw UsageError("Convolution: a fused pooling writes plain tensors, not channels-last");
  impl_->pooling = pooling;
  impl_->cache = {};  // primitives made before have no pooling
}

void Convolution::forward(const Tensor& src, const Tensor& weight, const Tensor& bias,
                          Tensor& dst) {
  impl_->expectLayout(dst, impl_->outputLayout, "dst");
  Impl::Entry& e = impl_->entry(src.shape(), src.dtype(), src.layout());
  impl_->lastSrcType = src.dtype();
  // New data may sit at an old address: backward reuses only what this forward reorders.
  if (!e.backwardData.empty()) e.dataWeight.forget();
  if (!e.backwardWeights.empty()) e.weightsSrc.forget();
  e.routedGrad = nullptr;
  e.src.load(src);
  e.weight.load(weight);
  if (impl_->g.withBias) bind(e.bias, bias);
  if (!impl_->pooling) {
    e.dst.bindOutput(dst);
    e.forward.run();
    return e.dst.flush();
  }
  e.forward.run();
  const void* result = e.convDst.get_data_handle();
  if (e.convDst.get_desc().data_type() == memory::data_type::f32)
    e.pool.forward(static_cast<const float*>(result), dst.data());
  else if (dst.dtype() == DType::BF16)
    e.pool.forward(static_cast<const bfloat16*>(result), dst.data<bfloat16>());
  else
    e.pool.forward(static_cast<const bfloat16*>(result), dst.data());
}

void Convolution::backwardData(const Tensor& gradDst, const Tensor& weight, Tensor& gradSrc) {
  if (!impl_->pooling) impl_->expectLayout(gradDst, impl_->outputLayout, "gradDst");
  Impl::Entry& e = impl_->entry(gradSrc.shape(), impl_->lastSrcType, gradSrc.layout());
  if (e.backwardData.empty() || e.gradSrcType != gradSrc.dtype())
    impl_->makeBackwardData(e, gradSrc.dtype());
  if (impl_->pooling) {
    impl_->routeGradient(e, gradDst);
    e.dataGradConvDst.run();
  } else {
    e.dataGradDst.load(gradDst);
  }
  e.dataWeight.reuseOrLoad(weight);
  e.gradSrc.bindOutput(gradSrc);
  e.backwardData.run();
  e.gradSrc.flush();
}

void Convolution::backwardWeights(const Tensor& src, const Tensor& gradDst, Tensor& gradWeight,
                                  Tensor& gradBias) {
  if (!impl_->pooling) impl_->expectLayout(gradDst, impl_->outputLayout, "gradDst");
  Impl::Entry& e = impl_->entry(src.shape(), src.dtype(), src.layout());
  if (e.backwardWeights.empty()) impl_->makeBackwardWeights(e);
  e.weightsSrc.reuseOrLoad(src);
  if (impl_->pooling) {
    impl_->routeGradient(e, gradDst);
    e.weightsGradConvDst.run();
  } else {
    e.weightsGradDst.reuseOrLoad(gradDst);
    e.weightsGradDst.forget();  // gradDst is reordered again by the next backward pass
  }
  e.gradWeight.bindOutput(gradWeight);
  if (impl_->g.withBias) e.gradBias.bindOutput(gradBias);
  e.backwardWeights.run();
  e.gradWeight.flush();
  if (impl_->g.withBias) e.gradBias.flush();
  e.routedGrad = nullptr;  // the next backward pass may bring new values at the same address
}

}  // namespace shoal::backend::cpu
