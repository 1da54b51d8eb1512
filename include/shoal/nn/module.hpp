// Module: the Torch-style layer interface with explicit forward and backward, and the walk over a module tree.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "shoal/nn/epilogue.hpp"
#include "shoal/nn/plan_step.hpp"
#include "shoal/nn/precision.hpp"
#include "shoal/nn/random.hpp"
#include "shoal/tensor/tensor.hpp"

namespace shoal::nn {

class FlatParameters;
class GradientListener;
class Module;
struct LayerTimes;

// One learnable tensor of a module and its gradient, as members the module owns.
struct Parameter {
  std::string name;  // "weight", "bias"; from Module::parameters() the path: "3.weight"
  Tensor* value;
  Tensor* grad;
  // For a module that can write its gradients instead of adding to them: set by
  // FlatParameters::discardGrads, cleared by the module when its next gradient pass wrote them.
  // Null: the module always adds, and discardGrads zeroes its gradients instead.
  bool* overwriteNext = nullptr;
  // For a module that reads a bf16 copy of the value in bf16 precision: the tensor that
  // FlatParameters points at the value's slice of its flat bf16 copy (enableLowPrecisionCopy),
  // which the optimiser writes in the pass that updates the value. Null: no bf16 reader.
  Tensor* lowPrecision = nullptr;
};

// A non-learnable tensor saved with the model (running statistics), by name.
struct NamedBuffer {
  std::string name;  // "running_mean"; from Module::stateBuffers() the path: "1.running_mean"
  Tensor* value;
};

// A module's direct child in its container, under the name it has in parameter paths.
struct Child {
  std::string name;  // "0", "conv1"
  Module* module;
};

// How a container runs one of its direct children for a per-sample input: what summaries and
// FLOP counts walk.
struct ChildRun {
  Child child;
  std::vector<Shape> inputShapes;
  Shape outputShape;
  // The plan the container runs it in: the index among the children of the one whose step
  // computes this child as its epilogue (-1: a step of its own), and the element types of what
  // it reads and writes (bf16 between bf16 steps, else f32; an epilogue's are its step's).
  int64_t fusedInto = -1;
  DType reads = DType::F32, writes = DType::F32;
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
  // This module's own output and input gradient of the last passes.
  const Tensor& output() const { return output_; }
  const Tensor& gradInput() const { return gradInput_; }

  // Per-sample output shape for a per-sample input shape; throws ShapeError naming the layer
  // and both sizes when the input does not fit.
  virtual Shape outputShape(const Shape& inputShape) const = 0;
  // BigDL/Torch class name: "Linear", "ReLU", ...
  virtual std::string typeName() const = 0;
  // The JSON object that rebuilds this module through nn::buildModule: {"type": ..., args}.
  virtual nlohmann::json spec() const;

  // --- Several inputs (graph nodes). A module of several inputs (CAddTable, JoinTable) says how
  // many it takes and overrides the three *Inputs functions; every other module takes one input,
  // and the defaults pass it to forward/backward.
  // Inputs a graph node of this module takes: 1, or kAnyInputCount (two or more).
  static constexpr int kAnyInputCount = -1;
  virtual int inputCount() const { return 1; }
  virtual Shape outputShapeOfInputs(std::span<const Shape> inputShapes) const;
  virtual const Tensor& forwardInputs(std::span<const Tensor* const> inputs);
  // The gradient with respect to each input, in order.
  virtual std::span<const Tensor> backwardInputs(std::span<const Tensor* const> inputs,
                                                 const Tensor& gradOutput);

  // --- The module tree: one walk serves parameters, buffers, generators, training mode,
  // initialisation, summaries, statistics, checkpoints and model files.
  // Direct children in a fixed order (containers override).
  virtual std::vector<Child> children() const { return {}; }
  // The module whose output is this module's output: itself for a layer; a container's last
  // layer or output node, recursively.
  virtual const Module& outputModule() const { return *this; }
  // Visits this module (path "") and every descendant (path "0", "block1.conv1", ...) depth first,
  // parents before children.
  void apply(const std::function<void(const std::string& path, Module& module)>& visit);
  // Learnable tensors of the whole tree, in walk order, named by path ("3.weight").
  std::vector<Parameter> parameters();
  // Non-learnable state of the whole tree (batch normalisation's running statistics), by path.
  std::vector<NamedBuffer> stateBuffers();
  // Random generators the tree draws from while training (dropout masks), for checkpoints.
  std::vector<Generator*> generators();
  // Draws fresh initial values for every parameter of the tree from `gen`, in walk order.
  void reset(Generator& gen);
  // Training mode (dropout active, batch statistics) or evaluation mode, for the whole tree.
  void setTraining(bool training);
  void train() { setTraining(true); }
  void evaluate() { setTraining(false); }
  bool isTraining() const { return training_; }

  // --- Precision. Sets every module of the tree that has a bf16 path to `precision` (the others
  // stay f32) and, for bf16, gives the tree's flat parameters their bf16 copy
  // (FlatParameters::enableLowPrecisionCopy). Set before the first forward; containers then
  // plan which outputs between their modules stay bf16.
  void setPrecision(Precision precision);
  // What this module's products read: bf16 only for a module with a bf16 path set to bf16.
  Precision precision() const { return precision_; }
  // Whether bf16 applies to this module: it computes in bf16 when asked (Linear,
  // SpatialConvolution), or keeps f32 where bf16 was measured not to pay (precisionChanged:
  // thin convolutions, Embedding), which summaries then say.
  virtual bool hasBf16Path() const { return false; }
  // Whether forward takes a bf16 input (its input gradient is then bf16 too). Containers answer
  // for their first module.
  virtual bool acceptsBf16Input() const { return false; }
  // An empty batch buffer of the element type this model's first step reads (bf16 or f32).
  Tensor inputBuffer() const { return Tensor(Shape{0}, acceptsBf16Input() ? DType::BF16 : DType::F32); }
  // Whether the output is the input under another shape, in the input's element type (Flatten,
  // Reshape), or the inputs joined (JoinTable: bf16 when all of them are): a bf16 input passes
  // through to the next module.
  virtual bool passesElementType() const { return false; }
  // Whether this module can write its output in bf16 (a bf16 module whose output feeds another
  // bf16 module), and the container's request to do so; output gradients then come in bf16.
  virtual bool canOutputBf16() const { return false; }
  virtual void setOutputBf16(bool bf16) {}

  // --- Layout of 4-d activations (Layout). Whether forward reads a channels-last input (its
  // input gradient is then channels-last too; any other module gets a UsageError for one);
  // whether the output keeps the input's layout (batch normalisation, ReLU, addition); or whether
  // the module writes the layout its container asks for (a convolution), the output gradient
  // then coming in that layout. Containers plan the layouts between their modules.
  virtual bool acceptsChannelsLastInput() const { return false; }
  virtual bool outputFollowsInputLayout() const { return false; }
  virtual bool canOutputChannelsLast() const { return false; }
  virtual void setOutputChannelsLast(bool channelsLast) {}

  // --- Fusion (nn::ExecutionPlan decides it; layers only describe what they can do).
  // What this module computes when it can run as the epilogue of the module before it.
  virtual std::optional<Epilogue> asEpilogue() const { return std::nullopt; }
  // A step that computes this module followed by a prefix of `following` (the epilogues of the
  // modules after it, in order) in one pass, or null when this module absorbs none of them.
  virtual std::unique_ptr<PlanStep> fuse(std::span<const Epilogue> following) { return nullptr; }

  // Forward FLOPs per sample (multiply and add count two) for per-sample input shapes `in` and
  // output shape `out`: by default one per output element. Containers sum their children.
  virtual int64_t flops(std::span<const Shape> in, const Shape& out) const;
  // How this container runs its direct children for per-sample inputs `in`; empty for a layer.
  virtual std::vector<ChildRun> childRuns(std::span<const Shape> in) const { return {}; }
  // Containers add each direct child's forward and backward time to `times` (sized for
  // children().size()) until called with nullptr; not owned. A layer ignores it.
  virtual void setLayerTimes(LayerTimes* times) {}

  // "Linear(784 -> 1000)"-style description used in error messages and summaries.
  virtual std::string describe() const { return typeName(); }
  // Where this module sits in its model ("layer 3 (Linear)"), set by the container.
  void setLabel(std::string label) { label_ = std::move(label); }
  std::string label() const { return label_.empty() ? describe() : label_; }

  // --- Gradients as they become final (see GradientListener). Sets `listener` (not owned; null:
  // none) on every module of the tree; each keeps the list of its own gradients to report.
  void setGradientListener(GradientListener* listener);
  // Tells the listener, if any, that this module's own parameter gradients are final for this
  // pass: called by Module::backward and backwardParameters, and by a fused plan step for the
  // layer whose gradients it computes.
  void gradientsReady();

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
  // This module's own learnable tensors, buffers and generators (not its children's).
  virtual std::vector<Parameter> ownParameters() { return {}; }
  virtual std::vector<NamedBuffer> ownStateBuffers() { return {}; }
  virtual std::vector<Generator*> ownGenerators() { return {}; }
  // Redraws this module's own parameters from `gen`.
  virtual void resetOwn(Generator& gen) {}
  // Called on every module after setPrecision changed precision() (containers drop their plan).
  virtual void precisionChanged() {}
  // True while a GradientListener is set: a layer may then compute a large gradient in parts.
  bool gradientsWatched() const { return gradientListener_ != nullptr; }
  // Reports `part` (a view of consecutive elements of an own gradient) final now; the next
  // gradientsReady() then reports nothing (the module reported its gradients in parts).
  void gradientPartReady(const Tensor& part);
  // Checks a per-sample input shape once per shape (outputShape throws when it does not fit).
  void checkInput(const Tensor& input);

  Tensor output_;
  Tensor gradInput_;
  bool training_ = true;
  Precision precision_ = Precision::F32;

 private:
  void checkGradOutput(const Tensor& input, const Tensor& gradOutput);

  std::string label_;
  Shape checkedInput_;       // per-sample input shape already validated
  bool inputChecked_ = false;  // whether checkedInput_ holds a validated shape
  Tensor gradInputs_[1];       // backwardInputs' answer for a module of one input
  GradientListener* gradientListener_ = nullptr;
  std::vector<const Tensor*> ownGrads_;  // what gradientsReady reports (with a listener)
  bool reportedInParts_ = false;         // this pass's gradients went through gradientPartReady
  std::unique_ptr<FlatParameters> flat_;
};

}  // namespace shoal::nn
