// Steady-state training steps allocate nothing on the heap: counted by replacing the global operator new.
#include <dlfcn.h>
#include <execinfo.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <new>

#include "shoal/data/dataset.hpp"
#include "shoal/nn/class_nll_criterion.hpp"
#include "shoal/nn/model_spec.hpp"
#include "shoal/nn/zoo.hpp"
#include "shoal/optim/sgd.hpp"
#include "shoal/train/optimizer.hpp"

namespace {

// Counts the allocations of this test binary while `counting` is set, apart those made inside
// oneDNN: its primitive_execute builds a small map of the arguments on every call, which its API
// offers no way to avoid (counted separately in oneDnnAllocations).
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};
std::atomic<long> oneDnnAllocations{0};

bool calledFromOneDnn() {
  void* frames[48];
  int n = backtrace(frames, 48);
  for (int i = 0; i < n; ++i) {
    Dl_info info;
    if (dladdr(frames[i], &info) && info.dli_fname && std::strstr(info.dli_fname, "libdnnl"))
      return true;
  }
  return false;
}

void* allocate(std::size_t size, std::size_t alignment) {
  if (counting.load(std::memory_order_relaxed)) {
    counting = false;  // backtrace and dladdr below must not count themselves
    (calledFromOneDnn() ? oneDnnAllocations : allocations).fetch_add(1);
    counting = true;
  }
  if (size == 0) size = 1;
  void* p = alignment > alignof(std::max_align_t)
                ? std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment)
                : std::malloc(size);
  if (!p) throw std::bad_alloc();
  return p;
}

}  // namespace

void* operator new(std::size_t size) { return allocate(size, 0); }
void* operator new[](std::size_t size) { return allocate(size, 0); }
void* operator new(std::size_t size, std::align_val_t a) { return allocate(size, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t size, std::align_val_t a) { return allocate(size, static_cast<std::size_t>(a)); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace shoal {
namespace {

// Samples of `sampleShape` with labels in [0, 10), deterministic.
data::Dataset syntheticImages(const Shape& sampleShape, int64_t count) {
  std::vector<uint8_t> pixels(static_cast<size_t>(count * sampleShape.numel()));
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>((i * 37 + i / 97) % 251);
  std::vector<int32_t> labels(static_cast<size_t>(count));
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int32_t>((i * 7) % 10);
  data::Dataset d = data::Dataset::fromBytes(sampleShape, std::move(pixels), std::move(labels), 10);
  d.setPreprocessing(data::Preprocessing::pixelScale());
  return d;
}

// Counts the allocations of the steps after the first `warmup` ones (buffers, primitives).
class AllocationCounter : public train::StepObserver {
 public:
  explicit AllocationCounter(int64_t warmup) : warmup_(warmup) {}
  void beforeStep(const train::TrainState& state) override {
    counting = state.iteration >= warmup_;
  }
  void afterStep(const train::TrainState&, train::RunLog&) override { counting = false; }

 private:
  int64_t warmup_;
};

// The heap allocations of `steps` steady-state SGD steps (momentum) of a zoo model in `precision`.
long allocationsWhileTraining(const std::string& model, const Shape& sampleShape, int64_t batch,
                              nn::Precision precision = nn::Precision::F32) {
  const int64_t warmup = 3, steps = 5;
  data::Dataset train = syntheticImages(sampleShape, batch * (warmup + steps));
  nn::manualSeed(1);
  auto net = nn::buildModel(nn::zooSpec(model, sampleShape, 10), sampleShape, model);
  net->setPrecision(precision);
  train::RunLog quiet("", true);
  AllocationCounter counter(warmup);
  train::Optimizer opt(*net, train, nn::ClassNLLCriterion(),
                       optim::SGD({.lr = 0.01, .momentum = 0.9}), train::MaxEpoch(1), batch);
  opt.setRunLog(&quiet).addObserver(&counter);
  void* frames[4];
  backtrace(frames, 4);  // loads what backtrace needs before anything is counted
  allocations = 0;
  oneDnnAllocations = 0;
  train::TrainSummary summary = opt.optimize();
  counting = false;
  EXPECT_EQ(summary.iterations, warmup + steps);
  std::cout << model << ": " << allocations << " allocations by shoal, " << oneDnnAllocations
            << " inside oneDNN's primitive execution, over " << steps << " steps\n";
  return allocations.load();
}

TEST(Allocation, MlpTrainingStepsAllocateNothing) {
  EXPECT_EQ(allocationsWhileTraining("mlp", Shape{1, 28, 28}, 16), 0);
}

TEST(Allocation, LeNet5TrainingStepsAllocateNothing) {
  EXPECT_EQ(allocationsWhileTraining("lenet5", Shape{1, 28, 28}, 16), 0);
}

// A graph model: fan-out, residual adds (gradients summed), batch normalisation.
TEST(Allocation, ResNetGraphTrainingStepsAllocateNothing) {
  EXPECT_EQ(allocationsWhileTraining("resnet", Shape{1, 28, 28}, 8), 0);
}

// bf16: the bf16 weight copy, the batches gathered in bf16, bf16 activations between layers.
TEST(Allocation, Bf16MlpTrainingStepsAllocateNothing) {
  EXPECT_EQ(allocationsWhileTraining("mlp", Shape{1, 28, 28}, 16, nn::Precision::BF16), 0);
}

TEST(Allocation, Bf16LeNet5TrainingStepsAllocateNothing) {
  EXPECT_EQ(allocationsWhileTraining("lenet5", Shape{1, 28, 28}, 16, nn::Precision::BF16), 0);
}

std::vector<float> kept;  // global, so the allocation cannot be optimised away

TEST(Allocation, CounterSeesAllocations) {
  counting = true;
  allocations = 0;
  kept.resize(100);
  counting = false;
  EXPECT_EQ(allocations.load(), 1);
}

}  // namespace
}  // namespace shoal
