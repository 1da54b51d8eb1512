// Times the fused convolution + ReLU + max-pooling block, forward + backward: float32, bf16 fused
// (the pooling reads the convolution's bf16 result) and bf16 unfused (oneDNN's f32 pooling after
// a bf16 convolution that writes f32). Variants alternate round by round (A B C A B C ...)
// because the shared host's speed drifts; medians are printed.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "shoal/backend/cpu_info.hpp"
#include "shoal/nn/relu.hpp"
#include "shoal/nn/sequential.hpp"
#include "shoal/nn/spatial_convolution.hpp"
#include "shoal/nn/spatial_max_pooling.hpp"

using namespace shoal;

namespace {

Tensor randomTensor(const Shape& shape, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  Tensor t(shape);
  for (int64_t i = 0; i < t.numel(); ++i) t[i] = dist(gen);
  return t;
}

struct Variant {
  std::string name;
  nn::Sequential model;
  Tensor input, gradOutput;
  std::vector<double> ms;  // per forward + backward, one per round
};

// Each round times `steps` forward + backward passes of every variant in turn.
void compare(const std::string& title, std::vector<Variant>& variants, int rounds, int steps) {
  for (auto& v : variants) {
    for (int i = 0; i < 3; ++i) {
      v.model.forward(v.input);
      v.model.backward(v.input, v.gradOutput);
    }
  }
  for (int r = 0; r < rounds; ++r)
    for (auto& v : variants) {
      auto start = std::chrono::steady_clock::now();
      for (int i = 0; i < steps; ++i) {
        v.model.forward(v.input);
        v.model.backward(v.input, v.gradOutput);
      }
      v.ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() /
                     steps);
    }
  std::printf("%s\n", title.c_str());
  const double base = [&] {
    std::vector<double> m = variants[0].ms;
    std::sort(m.begin(), m.end());
    return m[m.size() / 2];
  }();
  for (auto& v : variants) {
    std::sort(v.ms.begin(), v.ms.end());
    double median = v.ms[v.ms.size() / 2];
    std::printf("  %-44s %8.3f ms  (%.2fx the first; min %.3f, max %.3f)\n", v.name.c_str(), median,
                base / median, v.ms.front(), v.ms.back());
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
