// Benchmark: training and inference samples/s, test accuracy and peak memory of a zoo model on Fashion-MNIST.
// usage: bench_train [mlp|lenet5|resnet] [batch] [epochs] [warm-up steps] [timed steps] [fp32|bf16]
// Protocol (bench/pytorch_train.py follows it step for step): `warm-up` SGD steps (momentum 0.9,
// lr 0.01) that are not timed, then `epochs` timed epochs of shuffled batches (the data gathering
// and scaling of each batch included), cut short after `timed steps` steps when that is given and
// positive (bench/compare.py limits slow models such as resnet to a fraction of an epoch), then
// the test set in evaluation mode at the same batch size, three times, timing the fastest pass.
// The last argument sets the model's precision (nn::Module::setPrecision) for training and test.
// The last line is machine-readable.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "shoal/backend/cpu_info.hpp"
#include "shoal/data/fashion_mnist.hpp"
#include "shoal/nn/class_nll_criterion.hpp"
#include "shoal/nn/model_spec.hpp"
#include "shoal/nn/precision.hpp"
#include "shoal/nn/zoo.hpp"
#include "shoal/optim/sgd.hpp"
#include "shoal/train/optimizer.hpp"

namespace {

double peakResidentMegabytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

}  // namespace

int main(int argc, char** argv) {
  using namespace shoal;
  using Clock = std::chrono::steady_clock;
  std::string model = argc > 1 ? argv[1] : "mlp";
  int64_t batch = argc > 2 ? std::atoll(argv[2]) : 128;
  int64_t epochs = argc > 3 ? std::atoll(argv[3]) : 1;
  int64_t warmup = argc > 4 ? std::atoll(argv[4]) : 20;
  int64_t timedSteps = argc > 5 ? std::atoll(argv[5]) : 0;  // 0: whole epochs
  std::string precision = argc > 6 ? argv[6] : "fp32";
  try {
    data::TrainTest sets = data::loadFashionMnist();
    nn::manualSeed(1);
    Shape input = sets.train.sampleShape();
    auto net = nn::buildModel(nn::zooSpec(model, input, 10), input, model);
    net->setPrecision(nn::resolvePrecision(precision));
    auto sgd = std::make_shared<optim::SGD>(optim::SGD::Options{.lr = 0.01, .momentum = 0.9});
    auto nll = std::make_shared<nn::ClassNLLCriterion>();
    train::RunLog quiet("", true);
    {
      train::Optimizer warm(*net, sets.train, nll, sgd, train::MaxIteration(warmup), batch);
      warm.setSeed(1000).setRunLog(&quiet);
      warm.optimize();
    }
    train::Trigger end = train::MaxEpoch(epochs);
    if (timedSteps > 0) {  // whichever comes first: `epochs` epochs or `timedSteps` steps
      train::Trigger bySteps = train::MaxIteration(timedSteps);
      end = train::Trigger(
          [end, bySteps](const train::TrainState& s) { return end(s) || bySteps(s); },
          end.describe() + " or " + bySteps.describe());
    }
    train::Optimizer opt(*net, sets.train, nll, sgd, end, batch);
    opt.setSeed(1).setRunLog(&quiet);
    double trainRate = opt.optimize().samplesPerSecond;
    std::printf("%s batch %lld: %.0f training samples/s\n", model.c_str(),
                static_cast<long long>(batch), trainRate);

    double bestPass = 1e30, accuracy = 0;
    for (int pass = 0; pass < 3; ++pass) {
      auto start = Clock::now();
      auto results = train::evaluate(*net, sets.test, {train::Top1Accuracy()}, *nll, batch);
      bestPass = std::min(bestPass, std::chrono::duration<double>(Clock::now() - start).count());
      accuracy = results[0].value();
    }
    double inferRate = static_cast<double>(sets.test.size()) / bestPass;
    std::printf("%s batch %lld: %.0f inference samples/s, test accuracy %.4f\n", model.c_str(),
                static_cast<long long>(batch), inferRate, accuracy);
    std::printf("RESULT framework=shoal model=%s batch=%lld precision=%s threads=%d isa=%s "
                "train_sps=%.0f infer_sps=%.0f test_accuracy=%.4f peak_rss_mb=%.1f\n",
                model.c_str(), static_cast<long long>(batch), precision.c_str(), backend::threadCount(),
                backend::instructionSet().c_str(), trainRate, inferRate, accuracy,
                peakResidentMegabytes());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_train: %s\n", e.what());
    return 1;
  }
  return 0;
}
