// Sequential: a chain of modules, each feeding the next (BigDL's and Torch's nn.Sequential).
#pragma once
#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>

#include "shoal/nn/execution_plan.hpp"
#include "shoal/nn/layer_times.hpp"
#include "shoal/nn/module.hpp"

namespace shoal::nn {

// Runs its modules through an ExecutionPlan made on the first forward after the chain changed:
// a Linear or convolution with the ReLU (and max pooling) after it, or a batch normalisation with
// the ReLU after it, runs as one fused step.
// Children are named "0", "1", ... in parameter paths ("3.weight"); labels count from 1
// ("layer 4 (Linear(...))").
class Sequential : public Module {
 public:
  Sequential() = default;
  Sequential(Sequential&&) = default;

  // Appends a module; chains on temporaries: Sequential().add(Linear(4, 2)).add(ReLU()).
  template <class M, class = std::enable_if_t<std::is_base_of_v<Module, std::decay_t<M>>>>
  Sequential& add(M&& m) & {
    return add(std::unique_ptr<Module>(new std::decay_t<M>(std::move(m))));
  }
  template <class M, class = std::enable_if_t<std::is_base_of_v<Module, std::decay_t<M>>>>
  Sequential&& add(M&& m) && {
    return std::move(add(std::forward<M>(m)));
  }
  Sequential& add(std::unique_ptr<Module> m) &;

  size_t size() const { return modules_.size(); }
  Module& at(size_t i) { return *modules_.at(i); }
  const Module& at(size_t i) const { return *modules_.at(i); }
  // Whether the plan fuses what it can (default true); false runs every module as its own step.
  void setFusion(bool fuse);
  // The plan the next forward runs (made now if needed).
  const ExecutionPlan& plan();

  Shape outputShape(const Shape& inputShape) const override;
  std::string typeName() const override { return "Sequential"; }
  nlohmann::json spec() const override;
  std::vector<Child> children() const override;
  const Module& outputModule() const override;
  // The first module's answer, past any Flatten or Reshape.
  bool acceptsBf16Input() const override;
  std::vector<ChildRun> childRuns(std::span<const Shape> in) const override;
  void setLayerTimes(LayerTimes* times) override;

 protected:
  void updateOutput(const Tensor& input) override;
  void updateGradInput(const Tensor& input, const Tensor& gradOutput) override;
  void updateParameterGradients(const Tensor& input, const Tensor& gradOutput) override;
  void precisionChanged() override { plan_.reset(); }

 private:
  // Where step i's forward (backward) time is summed (its first module's slot); null while
  // timing is off.
  double* forwardClock(size_t step);
  double* backwardClock(size_t step);
  // The input of step i: the container's input or the output of step i - 1.
  const Tensor& stepInput(size_t i, const Tensor& input);

  std::vector<std::unique_ptr<Module>> modules_;
  std::unique_ptr<ExecutionPlan> plan_;
  std::vector<const Tensor*> stepOutputs_;  // of the last forward, per step
  size_t firstLearnableStep_ = SIZE_MAX;   // index of the first step with parameters
  bool fuse_ = true;
  LayerTimes* times_ = nullptr;
};

}  // namespace shoal::nn
