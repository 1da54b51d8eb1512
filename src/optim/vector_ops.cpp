// Vector helpers on flat parameter-sized tensors: dot product, max/sum of magnitudes, axpy.
#include "shoal/optim/vector_ops.hpp"

#include <algorithm>
#include <cmath>

namespace shoal::optim {

double dot(const Tensor& a, const Tensor& b) {
  const float* x = a.data();
  const float* y = b.data();
  double sum = 0.0;
  for (int64_t i = 0; i < a.numel(); ++i) sum += static_cast<double>(x[i]) * y[i];
  return sum;
}

double maxAbs(const Tensor& a) {
  const float* x = a.data();
  float m = 0.0f;
  for (int64_t i = 0; i < a.numel(); ++i) m = std::max(m, std::abs(x[i]));
  return m;
}

double sumAbs(const Tensor& a) {
  const float* x = a.data();
  double s = 0.0;
  for (int64_t i = 0; i < a.numel(); ++i) s += std::abs(x[i]);
  return s;
}

void axpy(double alpha, const Tensor& x, Tensor& y) {
  float a = static_cast<float>(alpha);
  const float* xs = x.data();
  float* ys = y.data();
  for (int64_t i = 0; i < y.numel(); ++i) ys[i] += a * xs[i];
}

}  // namespace shoal::optim
