// A direct double-precision convolution as the reference for the convolution's kernels, and the check against it.
#include "support/naive_convolution.hpp"

#include "support/fixtures.hpp"
#include "support/gradient_check.hpp"

namespace shoal::testing {

Reference naive(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& gy, int64_t s,
                int64_t p, int64_t groups) {
  int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3);
  int64_t out = w.dim(0), cg = w.dim(1), kh = w.dim(2), kw = w.dim(3);
  int64_t oh = (h + 2 * p - kh) / s + 1, ow = (wd + 2 * p - kw) / s + 1;
  Reference r{Tensor({n, out, oh, ow}), Tensor(x.shape()), Tensor(w.shape()), Tensor(b.shape())};
  int64_t outPerGroup = out / groups;
  for (int64_t in = 0; in < n; ++in)
    for (int64_t o = 0; o < out; ++o)
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          int64_t yi = ((in * out + o) * oh + i) * ow + j;
          double sum = b[o], g = gy[yi];
          r.gb[o] += static_cast<float>(g);
          for (int64_t ci = 0; ci < cg; ++ci)
            for (int64_t a = 0; a < kh; ++a)
              for (int64_t bb = 0; bb < kw; ++bb) {
                int64_t hi = i * s - p + a, wi = j * s - p + bb;
                if (hi < 0 || hi >= h || wi < 0 || wi >= wd) continue;
                int64_t xi = ((in * c + o / outPerGroup * cg + ci) * h + hi) * wd + wi;
                int64_t wi2 = ((o * cg + ci) * kh + a) * kw + bb;
                sum += static_cast<double>(x[xi]) * w[wi2];
                r.gx[xi] += static_cast<float>(g * w[wi2]);
                r.gw[wi2] += static_cast<float>(g * x[xi]);
              }
          r.y[yi] = static_cast<float>(sum);
        }
  return r;
}

void checkAgainstNaive(nn::SpatialConvolution& conv, const Tensor& x, int64_t s, int64_t p,
                       int64_t groups, uint64_t seed) {
  Tensor y = conv.forward(x).clone();
  Tensor gy = randomTensor(y.shape(), seed);
  conv.zeroGradParameters();
  Tensor gx = conv.backward(x, gy).clone();
  Reference r = naive(x, conv.weight(), conv.bias(), gy, s, p, groups);
  expectNear(y, r.y, 1e-4, 1e-4, "output");
  expectNear(gx, r.gx, 1e-4, 1e-4, "gradInput");
  expectNear(conv.gradWeight(), r.gw, 1e-4, 2e-3, "gradWeight");
  expectNear(conv.gradBias(), r.gb, 1e-4, 2e-3, "gradBias");
}

}  // namespace shoal::testing
