// Times the fused convolution + ReLU + max-pooling block, forward + backward: float32, bf16 fused
// (the pooling reads the convolution's bf16 result) and bf16 unfused (oneDNN's f32 pooling after
// a bf16 convolution that writes f32). Variants alternate round by round (A B C A B C ...)
// because the shared host's speed drifts; medians are printed.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
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

struct Variant {
  std::string name;
  nn::Sequential model;
  Tensor input, gradOutput;
  std::vector<double> forward, backward;  // ms per pass, one per round
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Each round times `steps` forward and backward passes of every variant in turn.
void compare(const std::string& title, std::vector<Variant>& variants, int rounds, int steps) {
  for (auto& v : variants) {
    for (int i = 0; i < 3; ++i) {
      v.model.forward(v.input);
      v.model.backward(v.input, v.gradOutput);
    }
  }
  for (int r = 0; r < rounds; ++r)
    for (auto& v : variants) {
      double forward = 0, backward = 0;
      for (int i = 0; i < steps; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        v.model.forward(v.input);
        auto t1 = std::chrono::steady_clock::now();
        v.model.backward(v.input, v.gradOutput);
        auto t2 = std::chrono::steady_clock::now();
        forward += std::chrono::duration<double, std::milli>(t1 - t0).count();
        backward += std::chrono::duration<double, std::milli>(t2 - t1).count();
      }
      v.forward.push_back(forward / steps);
      v.backward.push_back(backward / steps);
    }
  std::printf("%s\n", title.c_str());
  std::vector<double> total0;
  for (size_t r = 0; r < variants[0].forward.size(); ++r) total0.push_back(variants[0].forward[r] + variants[0].backward[r]);
  const double base = median(total0);
  for (auto& v : variants) {
    std::vector<double> total;
    for (size_t r = 0; r < v.forward.size(); ++r) total.push_back(v.forward[r] + v.backward[r]);
    const double t = median(total);
    std::printf("  %-30s forward %7.3f ms  backward %7.3f ms  total %7.3f ms (%.2fx the first; min %.3f)\n",
                v.name.c_str(), median(v.forward), median(v.backward), t, base / t,
                *std::min_element(total.begin(), total.end()));
  }
}

// SpatialConvolution(in -> out, 3x3, pad 1), ReLU, 2x2 max pooling
nn::Sequential convBlock(int64_t in, int64_t out, nn::Precision precision, bool fuse) {
  nn::Sequential s;
  s.add(nn::SpatialConvolution(in, out, 3, 3, 1, 1, 1, 1)).add(nn::ReLU()).add(nn::SpatialMaxPooling(2, 2, 2, 2));
  s.setFusion(fuse);
  s.setPrecision(precision);
  return s;
}

void convCase(int64_t in, int64_t out, int64_t size, int64_t n, int rounds, int steps) {
  Tensor x = randomTensor({n, in, size, size}, 3), gy = randomTensor({n, out, size / 2, size / 2}, 4);
  std::vector<Variant> variants;
  variants.push_back({"fp32 fused", convBlock(in, out, nn::Precision::F32, true), x, gy, {}});
  variants.push_back({"bf16 fused", convBlock(in, out, nn::Precision::BF16, true), x, gy, {}});
  variants.push_back({"bf16 unfused", convBlock(in, out, nn::Precision::BF16, false), x, gy, {}});
  compare("SpatialConvolution(" + std::to_string(in) + " -> " + std::to_string(out) +
              ", 3x3, pad 1) + ReLU + 2x2 max pooling on " + std::to_string(size) + "x" +
              std::to_string(size) + ", batch " + std::to_string(n),
          variants, rounds, steps);
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::stoi(argv[1]) : 7;
  std::printf("oneDNN %s, %s, %d threads, median of %d rounds\n", backend::oneDnnVersion().c_str(),
              backend::instructionSet().c_str(), backend::threadCount(), rounds);
  convCase(32, 64, 28, 32, rounds, 5);
  return 0;
}
