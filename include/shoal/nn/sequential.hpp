// Sequential: a chain of modules, each feeding the next (BigDL's and Torch's nn.Sequential).
#pragma once
#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>

#include "shoal/nn/layer_times.hpp"
#include "shoal/nn/module.hpp"

namespace shoal::nn {

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

  Shape outputShape(const Shape& inputShape) const override;
  std::string typeName() const override { return "Sequential"; }
  nlohmann::json spec() const override;
  std::vector<Parameter> parameters() override;
  std::vector<Tensor*> stateBuffers() override;
  std::vector<Generator*> generators() override;
  void reset(Generator& gen) override;
  void setTraining(bool training) override;
  // Adds every layer's forward and backward time to `times` (cleared for this model's layer
  // count) until called with nullptr; not owned.
  void setLayerTimes(LayerTimes* times);

 protected:
  void updateOutput(const Tensor& input) override;
  void updateGradInput(const Tensor& input, const Tensor& gradOutput) override;
  void updateParameterGradients(const Tensor& input, const Tensor& gradOutput) override;

 private:
  // Where layer `layer`'s forward (backward) time is summed; null while timing is off.
  double* forwardClock(size_t layer);
  double* backwardClock(size_t layer);

  std::vector<std::unique_ptr<Module>> modules_;
  size_t firstLearnable_ = SIZE_MAX;  // index of the first module with parameters
  LayerTimes* times_ = nullptr;
};

}  // namespace shoal::nn
