// Times LeNet-5's two convolutions (forward, backward-data, backward-weights) at batch 128,
// alone and as the conv -> ReLU -> max-pooling blocks that Sequential fuses.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "shoal/backend/cpu_info.hpp"
#include "shoal/nn/relu.hpp"
#include "shoal/nn/sequential.hpp"
#include "shoal/nn/spatial_convolution.hpp"
#include "shoal/nn/spatial_max_pooling.hpp"
#include "random_tensor.hpp"

using namespace shoal;
using shoal::bench::randomTensor;

namespace {

double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

struct Timing {
  double forward = 0, backward = 0;
};

// Median of `reps` timed forward and backward passes after a warm-up.
Timing timeLayer(nn::Module& conv, const Tensor& x, const Tensor& gy, int reps) {
  for (int i = 0; i < 5; ++i) {
    conv.forward(x);
    conv.backward(x, gy);
  }
  std::vector<double> fwd, bwd;
  for (int i = 0; i < reps; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    conv.forward(x);
    fwd.push_back(msSince(t0));
    auto t1 = std::chrono::steady_clock::now();
    conv.backward(x, gy);
    bwd.push_back(msSince(t1));
  }
  std::sort(fwd.begin(), fwd.end());
  std::sort(bwd.begin(), bwd.end());
  return {fwd[fwd.size() / 2], bwd[bwd.size() / 2]};
}

}  // namespace

int main() {
  const int64_t n = 128;
  const int reps = 100;
  nn::SpatialConvolution conv1(1, 6, 5, 5, 1, 1, 2, 2);
  nn::SpatialConvolution conv2(6, 16, 5, 5);
  Tensor x1 = randomTensor({n, 1, 28, 28}, 1), gy1 = randomTensor({n, 6, 28, 28}, 2);
  Tensor x2 = randomTensor({n, 6, 14, 14}, 3), gy2 = randomTensor({n, 16, 10, 10}, 4);
  std::printf("oneDNN %s, %s, %d threads, batch %ld, median of %d\n",
              backend::oneDnnVersion().c_str(), backend::instructionSet().c_str(),
              backend::threadCount(), static_cast<long>(n), reps);
  Timing t1 = timeLayer(conv1, x1, gy1, reps);
  Timing t2 = timeLayer(conv2, x2, gy2, reps);
  std::printf("%-40s forward %6.3f ms  backward %6.3f ms\n", conv1.describe().c_str(), t1.forward,
              t1.backward);
  std::printf("%-40s forward %6.3f ms  backward %6.3f ms\n", conv2.describe().c_str(), t2.forward,
              t2.backward);
  std::printf("both convolutions, forward + backward: %.3f ms\n",
              t1.forward + t1.backward + t2.forward + t2.backward);
  auto block = [](nn::SpatialConvolution conv) {
    nn::Sequential s;
    s.add(std::move(conv)).add(nn::ReLU()).add(nn::SpatialMaxPooling(2, 2));
    return s;
  };
  nn::Sequential block1 = block(nn::SpatialConvolution(1, 6, 5, 5, 1, 1, 2, 2));
  nn::Sequential block2 = block(nn::SpatialConvolution(6, 16, 5, 5));
  Tensor gp1 = randomTensor({n, 6, 14, 14}, 5), gp2 = randomTensor({n, 16, 5, 5}, 6);
  Timing b1 = timeLayer(block1, x1, gp1, reps);
  Timing b2 = timeLayer(block2, x2, gp2, reps);
  std::printf("%-40s forward %6.3f ms  backward %6.3f ms\n", "block 1 (conv1, ReLU, 2x2 max pool)",
              b1.forward, b1.backward);
  std::printf("%-40s forward %6.3f ms  backward %6.3f ms\n", "block 2 (conv2, ReLU, 2x2 max pool)",
              b2.forward, b2.backward);
  std::printf("both fused blocks, forward + backward: %.3f ms\n",
              b1.forward + b1.backward + b2.forward + b2.backward);
  return 0;
}
