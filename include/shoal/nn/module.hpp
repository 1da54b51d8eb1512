// Module: the Torch-style layer interface with explicit forward and backward.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "shoal/nn/random.hpp"
#include "shoal/tensor/tensor.hpp"

namespace shoal::nn {

class FlatParameters;

// One learnable tensor of a module and its gradient, as members the module owns.
struct Parameter {
  std::string name;  // "weight", "bias"
  Tensor* value;
  Tensor* grad;
  // For a module that can write its gradients instead of adding to them: set by
  // FlatParameters::discardGrads, cleared by the module when its next gradient pass wrote them.
  // Null: the module always adds, and discardGrads zeroes its gradients instead.
  bool* overwriteNext = nullptr;
};

// Inputs and outputs are batches: the first extent is N, the rest is the per-sample shape.
// forward/backward are non-virtual: they check shapes, then call the protected virtual
// implementations. backward *accumulates* parameter gradients (zeroGradParameters clears them).
// Buffers (output, gradInput) are sized on the first batch and reused afterwards.
class Module {
 public:
  Module();
  virtual ~Module();
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  // Moving keeps the parameters' values; the flat buffers are made anew on the next
  // flatParameters() call, because the moved-to object holds the parameters at new addresses.
  Module(Module&& other) noexcept;
  Module& operator=(Module&& other) noexcept;

  const Tensor& forward(const Tensor& input);
  const Tensor& backward(const Tensor& input, const Tensor& gradOutput);
  // What training needs of backward: the parameter gradients only, without the gradient with
  // respect to `input` (a container still passes gradients between its own layers, but its
  // first learnable layer computes no input gradient and the layers before it do nothing).
  // gradInput() is left as it was.
  void backwardParameters(const Tensor& input, const Tensor& gradOutput);
  const Tensor& output() const { return output_; }
  const Tensor& gradInput() const { return gradInput_; }

  // Per-sample output shape for a per-sample input shape; throws ShapeError naming the layer
  // and both sizes when the input does not fit.
  virtual Shape outputShape(const Shape& inputShape) const = 0;
  // BigDL/Torch class name: "Linear", "ReLU", ...
  virtual std::string typeName() const = 0;
  // The JSON object that rebuilds this module through nn::buildModule: {"type": ..., args}.
  virtual nlohmann::json spec() const;
  // Learnable tensors of this module and of its children, in a fixed order.
  virtual std::vector<Parameter> parameters();
  // Non-learnable state saved with the model (batch normalisation's running statistics).
  virtual std::vector<Tensor*> stateBuffers() { return {}; }
  // Random generators this module draws from while training (dropout masks), for checkpoints.
  virtual std::vector<Generator*> generators() { return {}; }
  // Draws fresh initial values for every parameter from `gen`.
  virtual void reset(Generator& gen);
  // Training mode (dropout active, batch statistics) or evaluation mode.
  virtual void setTraining(bool training);
  void train() { setTraining(true); }
  void evaluate() { setTraining(false); }
  bool isTraining() const { return training_; }

  // Fusion: a container offers each module the module that follows it. A module that can compute
  // `next` inside its own primitive (Linear with a following ReLU) starts doing so and returns
  // true; the container then makes `next` pass values and gradients through unchanged (and
  // unchecked: the module that took it over checks its own input).
  virtual bool fuseNext(const Module& next) { return false; }
  void setPassThrough(bool passThrough) { passThrough_ = passThrough; }
  bool passesThrough() const { return passThrough_; }

  // "Linear(784 -> 1000)"-style description used in error messages and summaries.
  virtual std::string describe() const { return typeName(); }
  // Where this module sits in its model ("layer 3 (Linear)"), set by the container.
  void setLabel(std::string label) { label_ = std::move(label); }
  std::string label() const { return label_.empty() ? describe() : label_; }

  // BigDL's getParameters(): compacts every parameter and gradient of this module tree into one
  // flat value buffer and one flat gradient buffer (made on first call, reused afterwards).
  FlatParameters& flatParameters();
  void zeroGradParameters();
  int64_t parameterCount();

 protected:
  virtual void updateOutput(const Tensor& input) = 0;                           // writes output_
  virtual void updateGradInput(const Tensor& input, const Tensor& gradOutput) = 0;  // writes gradInput_
  virtual void accGradParameters(const Tensor& input, const Tensor& gradOutput) {}
  // backwardParameters' work; by default accGradParameters.
  virtual void updateParameterGradients(const Tensor& input, const Tensor& gradOutput) {
    accGradParameters(input, gradOutput);
  }

  Tensor output_;
  Tensor gradInput_;
  bool training_ = true;

 private:
  bool passThrough_ = false;
  void checkInput(const Tensor& input);
  void checkGradOutput(const Tensor& input, const Tensor& gradOutput);

  std::string label_;
  Shape checkedInput_;       // per-sample input shape already validated
  bool inputChecked_ = false;  // whether checkedInput_ holds a validated shape
  std::unique_ptr<FlatParameters> flat_;
};

}  // namespace shoal::nn
