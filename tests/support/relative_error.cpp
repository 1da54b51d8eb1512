// The relative error of a result against its reference.
#include "support/relative_error.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace shoal::testing {

double relativeError(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.numel(), b.numel());
  const std::vector<float> x = a.toVector(), y = b.toVector();
  double diff = 0, norm = 0;
  for (size_t i = 0; i < std::min(x.size(), y.size()); ++i) {
    const double d = static_cast<double>(x[i]) - y[i];
    diff += d * d;
    norm += static_cast<double>(y[i]) * y[i];
  }
  return std::sqrt(diff / std::max(norm, 1e-30));
}

}  // namespace shoal::testing
