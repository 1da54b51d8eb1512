// Benchmark: training samples/s of a zoo model on Fashion-MNIST (usage: bench_train [mlp|lenet5] [batch] [epochs]).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "shoal/backend/cpu/engine.hpp"
#include "shoal/data/fashion_mnist.hpp"
#include "shoal/nn/class_nll_criterion.hpp"
#include "shoal/nn/model_spec.hpp"
#include "shoal/nn/zoo.hpp"
#include "shoal/optim/sgd.hpp"
#include "shoal/train/optimizer.hpp"

int main(int argc, char** argv) {
  using namespace shoal;
  std::string model = argc > 1 ? argv[1] : "mlp";
  int64_t batch = argc > 2 ? std::atoll(argv[2]) : 128;
  int64_t epochs = argc > 3 ? std::atoll(argv[3]) : 3;
  try {
    data::TrainTest sets = data::loadFashionMnist();
    nn::manualSeed(1);
    Shape input = sets.train.sampleShape();
    auto net = nn::buildModel(nn::zooSpec(model, input, 10), input, model);
    train::RunLog quiet("", true);
    double best = 0;
    // One epoch at a time so the first (warm-up: buffers, primitive creation) can be told apart.
    for (int64_t e = 1; e <= epochs; ++e) {
      train::Optimizer opt(*net, sets.train, nn::ClassNLLCriterion(),
                           optim::SGD({.lr = 0.01, .momentum = 0.9}), train::MaxEpoch(1), batch);
      opt.setSeed(e).setRunLog(&quiet);
      double sps = opt.optimize().samplesPerSecond;
      std::printf("%s batch %lld epoch %lld: %.0f training samples/s\n", model.c_str(),
                  static_cast<long long>(batch), static_cast<long long>(e), sps);
      best = std::max(best, sps);
    }
    std::printf("RESULT model=%s batch=%lld threads=%d isa=%s best_samples_per_sec=%.0f\n",
                model.c_str(), static_cast<long long>(batch), backend::cpu::threadCount(),
                backend::cpu::instructionSet().c_str(), best);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_train: %s\n", e.what());
    return 1;
  }
  return 0;
}
