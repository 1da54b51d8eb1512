// Times batch normalisation with its fused ReLU on plain (NCHW) and on channels-last (NHWC) activations, f32 and bf16, at ResNet's shapes.
// usage: bench_batch_norm_layouts [threads] [repetitions]; prints the fastest of the repetitions
// per pass (ms) for each layout, the two layouts alternated, and channels-last / plain.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>

#include "shoal/backend/cpu_info.hpp"
#include "shoal/nn/spatial_batch_normalization.hpp"
#include "fastest_time.hpp"
#include "random_tensor.hpp"

using namespace shoal;
using shoal::bench::randomTensor;
using shoal::bench::fastestMs;

namespace {

// A layer and its activations in one layout and precision, the buffers made by a first run.
struct Layer {
  nn::SpatialBatchNormalization bn;
  Tensor x, grad, y, gradX;

  Layer(const Shape& shape, DType type, Layout layout) : bn(shape[1]) {
    bn.setPrecision(type == DType::BF16 ? nn::Precision::BF16 : nn::Precision::F32);
    bn.setOutputBf16(type == DType::BF16);
    x = randomTensor(shape, 1).toType(type).toLayout(layout);
    grad = randomTensor(shape, 2).toLayout(layout);
    trainingForward();
    backward();
  }
  void trainingForward() {
    bn.train();
    bn.normalise(x, y, /*relu=*/true);
  }
  void inferenceForward() {
    bn.evaluate();
    bn.normalise(x, y, /*relu=*/true);
    bn.train();
  }
  void backward() { bn.normaliseBackward(x, grad, &y, gradX); }
};

}  // namespace

int main(int argc, char** argv) {
  backend::setThreadCount(argc > 1 ? std::atoi(argv[1]) : 1);
  const int repetitions = argc > 2 ? std::atoi(argv[2]) : 20;
  std::printf("threads %d, fastest of %d (ms)\n", backend::threadCount(), repetitions);
  std::printf("%-18s %-5s %-26s %8s %8s %6s\n", "shape", "type", "pass (with the ReLU)", "plain",
              "NHWC", "ratio");
  for (const Shape& shape : {Shape{128, 16, 28, 28}, Shape{128, 64, 28, 28}, Shape{128, 256, 7, 7}})
    for (DType type : {DType::F32, DType::BF16}) {
      Layer plain(shape, type, Layout::Plain), last(shape, type, Layout::ChannelsLast);
      struct Pass {
        const char* name;
        void (Layer::*run)();
      };
      for (Pass p : {Pass{"forward (batch statistics)", &Layer::trainingForward},
                     Pass{"forward (running)", &Layer::inferenceForward},
                     Pass{"backward", &Layer::backward}}) {
        double ms[2] = {1e30, 1e30};
        for (int round = 0; round < 4; ++round)  // the layouts alternated
          for (int k = 0; k < 2; ++k) {
            Layer& l = k == 0 ? plain : last;
            ms[k] = std::min(ms[k], fastestMs([&] { (l.*p.run)(); }, repetitions / 4 + 1));
          }
        std::printf("%-18s %-5s %-26s %8.3f %8.3f %6.2f\n", shape.str().c_str(),
                    type == DType::BF16 ? "bf16" : "f32", p.name, ms[0], ms[1], ms[1] / ms[0]);
      }
    }
  return 0;
}
