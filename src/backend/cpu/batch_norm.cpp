// oneDNN batch normalisation primitives per shape and mode; scale/shift gradients accumulated.
#include "batch_norm.hpp"

#include "dnnl_binding.hpp"
#include "engine.hpp"

namespace shoal::backend::cpu {

using dnnl::memory;
using Flags = dnnl::normalization_flags;

struct BatchNorm::Impl {
  // One mode (batch or given statistics) at one shape.
  struct Mode {
    dnnl::batch_normalization_forward::primitive_desc forwardPd;
    BoundPrimitive forward, backward;  // backward made on the first backward pass
  };
  struct Entry {
    memory::desc data, channels;
    memory src, dst, gradSrc, gradDst, scale, shift, mean, variance;
    memory gradScale, gradShift;  // computed here, then added to the caller's gradients
    Mode batchStats, givenStats;
  };

  Impl(double e, bool a) : eps(static_cast<float>(e)), affine(a) {}

  // src [N, C, H, W]
  Entry& entry(const Shape& src) {
    return cache.get(src, [&] {
      Entry e;
      e.data = plainDesc({src[0], src[1], src[2], src[3]});
      e.channels = plainDesc({src[1]});
      for (memory* m : {&e.src, &e.dst, &e.gradSrc, &e.gradDst})
        *m = memory(e.data, engine(), nullptr);
      for (memory* m : {&e.scale, &e.shift, &e.mean, &e.variance})
        *m = memory(e.channels, engine(), nullptr);
      e.gradScale = memory(e.channels, engine());
      e.gradShift = memory(e.channels, engine());
      return e;
    });
  }

  Flags flags(bool batchStatistics) const {
    Flags f = affine ? Flags::use_scale | Flags::use_shift : Flags::none;
    return batchStatistics ? f : f | Flags::use_global_stats;
  }

  Mode& mode(Entry& e, bool batchStatistics) {
    Mode& m = batchStatistics ? e.batchStats : e.givenStats;
    if (!m.forward.empty()) return m;
    dnnl::batch_normalization_forward::desc desc(dnnl::prop_kind::forward_training, e.data, eps,
                                                 flags(batchStatistics));
    m.forwardPd =
        dnnl::batch_normalization_forward::primitive_desc(desc, userScratchpad(), engine());
    std::vector<std::pair<int, memory>> args{{DNNL_ARG_SRC, e.src},
                                             {DNNL_ARG_DST, e.dst},
                                             {DNNL_ARG_MEAN, e.mean},
                                             {DNNL_ARG_VARIANCE, e.variance}};
    if (affine) {
      args.emplace_back(DNNL_ARG_SCALE, e.scale);
      args.emplace_back(DNNL_ARG_SHIFT, e.shift);
    }
    m.forward = BoundPrimitive(m.forwardPd, std::move(args));
    return m;
  }

  void makeBackward(Entry& e, Mode& m, bool batchStatistics) const {
    dnnl::batch_normalization_backward::desc desc(
        affine ? dnnl::prop_kind::backward : dnnl::prop_kind::backward_data, e.data, e.data, eps,
        flags(batchStatistics));
    dnnl::batch_normalization_backward::primitive_desc pd(desc, userScratchpad(), engine(),
                                                          m.forwardPd);
    std::vector<std::pair<int, memory>> args{{DNNL_ARG_SRC, e.src},
                                             {DNNL_ARG_DIFF_DST, e.gradDst},
                                             {DNNL_ARG_MEAN, e.mean},
                                             {DNNL_ARG_VARIANCE, e.variance},
                                             {DNNL_ARG_DIFF_SRC, e.gradSrc}};
    if (affine) {
      args.emplace_back(DNNL_ARG_SCALE, e.scale);
      args.emplace_back(DNNL_ARG_SHIFT, e.shift);
      args.emplace_back(DNNL_ARG_DIFF_SCALE, e.gradScale);
      args.emplace_back(DNNL_ARG_DIFF_SHIFT, e.gradShift);
    }
    m.backward = BoundPrimitive(pd, std::move(args));
  }

  // Training writes the batch mean and variance into `mean` and `variance`; inference reads
  // the running statistics from them.
  void forward(bool training, const Tensor& src, const Tensor& weight, const Tensor& bias,
               const Tensor& mean, const Tensor& variance, Tensor& dst) {
    Entry& e = entry(src.shape());
    Mode& m = mode(e, training);
    bind(e.src, src);
    bind(e.dst, dst);
    bind(e.mean, mean);
    bind(e.variance, variance);
    bindParameters(e, weight, bias);
    m.forward.run();
  }

  void bindParameters(Entry& e, const Tensor& weight, const Tensor& bias) const {
    if (!affine) return;
    bind(e.scale, weight);
    bind(e.shift, bias);
  }

  float eps;
  bool affine;
  ShapeCache<Entry> cache;
};

BatchNorm::BatchNorm(double eps, bool affine) : impl_(std::make_unique<Impl>(eps, affine)) {}
BatchNorm::~BatchNorm() = default;

void BatchNorm::forwardTraining(const Tensor& src, const Tensor& weight, const Tensor& bias,
                                Tensor& dst, Tensor& mean, Tensor& variance) {
  impl_->forward(true, src, weight, bias, mean, variance, dst);
}

void BatchNorm::forwardInference(const Tensor& src, const Tensor& weight, const Tensor& bias,
                                 const Tensor& mean, const Tensor& variance, Tensor& dst) {
  impl_->forward(false, src, weight, bias, mean, variance, dst);
}

void BatchNorm::backward(const Tensor& src, const Tensor& gradDst, const Tensor& weight,
                         const Tensor& bias, const Tensor& mean, const Tensor& variance,
                         bool batchStatistics, Tensor& gradSrc, Tensor& gradWeight,
                         Tensor& gradBias) {
  Impl::Entry& e = impl_->entry(src.shape());
  Impl::Mode& m = impl_->mode(e, batchStatistics);
  if (m.backward.empty()) impl_->makeBackward(e, m, batchStatistics);
  bind(e.src, src);
  bind(e.gradDst, gradDst);
  bind(e.gradSrc, gradSrc);
  bind(e.mean, mean);
  bind(e.variance, variance);
  impl_->bindParameters(e, weight, bias);  // oneDNN 2.6 wants the shift, though unused
  m.backward.run();
  if (!impl_->affine) return;
  // gradWeight [C] += gradScale, gradBias [C] += gradShift
  const float* gs = static_cast<const float*>(e.gradScale.get_data_handle());
  const float* gb = static_cast<const float*>(e.gradShift.get_data_handle());
  for (int64_t c = 0; c < gradWeight.numel(); ++c) {
    gradWeight[c] += gs[c];
    gradBias[c] += gb[c];
  }
}

}  // namespace shoal::backend::cpu
