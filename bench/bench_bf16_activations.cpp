// Times ResNet's element-wise nodes on f32 and on bf16 activations: batch normalisation with its ReLU (forward in training, backward), the residual addition and the ReLU.
// usage: bench_bf16_activations [threads] [repetitions]; prints the fastest of the repetitions
// per pass (ms), f32 and bf16 alternated, at ResNet's block shapes for batch 128.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>

#include "shoal/backend/cpu_info.hpp"
#include "shoal/nn/cadd_table.hpp"
#include "shoal/nn/relu.hpp"
#include "shoal/nn/spatial_batch_normalization.hpp"
#include "fastest_time.hpp"
#include "random_tensor.hpp"

using namespace shoal;
using shoal::bench::randomTensor;
using shoal::bench::fastestMs;

namespace {

// The element-wise nodes of one precision at one shape, their buffers made by a first run.
struct Nodes {
  nn::SpatialBatchNormalization bn;
  nn::CAddTable add;
  nn::ReLU relu;
  Tensor x, shortcut, grad, y, gradX;

  Nodes(const Shape& shape, DType type) : bn(shape[1]) {
    for (nn::Module* m : std::initializer_list<nn::Module*>{&bn, &add, &relu}) {
      m->setPrecision(type == DType::BF16 ? nn::Precision::BF16 : nn::Precision::F32);
      m->setOutputBf16(type == DType::BF16);
    }
    x = randomTensor(shape, 1).toType(type);
    shortcut = randomTensor(shape, 2).toType(type);
    grad = randomTensor(shape, 3);
  }
  void normalise() { bn.normalise(x, y, /*relu=*/true); }
  void normaliseBackward() { bn.normaliseBackward(x, grad, &y, gradX); }
  void addAndRelu() {
    const Tensor* inputs[] = {&y, &shortcut};
    relu.forward(add.forwardInputs(inputs));
  }
  void reluBackward() { relu.backward(add.output(), grad); }
};

}  // namespace

int main(int argc, char** argv) {
  backend::setThreadCount(argc > 1 ? std::atoi(argv[1]) : 1);
  const int repetitions = argc > 2 ? std::atoi(argv[2]) : 30;
  std::printf("threads %d, fastest of %d (ms)\n", backend::threadCount(), repetitions);
  std::printf("%-18s %-28s %8s %8s\n", "shape", "pass", "f32", "bf16");
  for (const Shape& shape : {Shape{128, 16, 28, 28}, Shape{128, 32, 14, 14}, Shape{128, 64, 7, 7}}) {
    Nodes f32(shape, DType::F32), bf16(shape, DType::BF16);
    struct Pass {
      const char* name;
      void (Nodes::*run)();
    };
    for (Pass p : {Pass{"batchnorm+relu forward", &Nodes::normalise},
                   Pass{"batchnorm+relu backward", &Nodes::normaliseBackward},
                   Pass{"add + relu forward", &Nodes::addAndRelu},
                   Pass{"relu backward", &Nodes::reluBackward}}) {
      double ms[2] = {1e30, 1e30};
      for (int round = 0; round < 4; ++round)  // f32 and bf16 alternated
        for (int k = 0; k < 2; ++k) {
          Nodes& n = k == 0 ? f32 : bf16;
          ms[k] = std::min(ms[k], fastestMs([&] { (n.*p.run)(); }, repetitions / 4 + 1));
        }
      std::printf("%-18s %-28s %8.3f %8.3f\n", shape.str().c_str(), p.name, ms[0], ms[1]);
    }
  }
  return 0;
}
