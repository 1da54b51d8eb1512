// Graph: a container whose nodes take one or more inputs (BigDL's Model(inputs, outputs), Keras' functional API).
#pragma once
#include <array>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "shoal/nn/execution_plan.hpp"
#include "shoal/nn/layer_times.hpp"
#include "shoal/nn/module.hpp"

namespace shoal::nn {

// Nodes are the graph's inputs and modules, each module taking the outputs of earlier nodes in
// order; one node is the output. Forward runs the modules in the order they were added (inputs
// before the nodes that use them, so no cycle can be built); backward runs them in reverse and
// sums the gradients of a node whose output feeds several nodes (two of them in the pass of a
// fused step that takes them apart: AddReluStep's masking). In parameter paths a module is
// named by its node ("block1.conv1.weight"). A graph of one input is used like any module; a
// graph of several takes them through forwardInputs/backwardInputs.
// In bf16 precision the graph decides, once per plan, which node outputs are bf16: those of a
// node that can write bf16 (a bf16 convolution, batch normalisation, ReLU or addition) whose
// readers all read bf16; the graph's output stays f32. Gradients between nodes are f32 (the
// input gradients of those layers are), so the sums of fanned-out gradients are f32 too.
// Activations between its convolution, batch normalisation, ReLU, addition and pooling nodes
// are channels-last (planLayouts), which oneDNN's convolutions read and write without reordering
// them; their gradients follow the same layout. The graph's inputs and output stay plain.
//   Graph g;
//   auto x = g.input();
//   auto h = g.add("conv", SpatialConvolution(1, 4, 3, 3, 1, 1, 1, 1), {x});
//   g.setOutput(g.add("sum", CAddTable(), {h, x}));
class Graph : public Module {
 public:
  using Node = int;

  Graph() = default;
  Graph(Graph&&) = default;

  // A graph input named `name` (BigDL's Input()).
  Node input(const std::string& name = "input");
  // Adds `module` as the node `name` (unique, without dots) over the outputs of `inputs`.
  Node add(const std::string& name, std::unique_ptr<Module> module, const std::vector<Node>& inputs);
  template <class M, class = std::enable_if_t<std::is_base_of_v<Module, std::decay_t<M>>>>
  Node add(const std::string& name, M&& m, const std::vector<Node>& inputs) {
    return add(name, std::unique_ptr<Module>(new std::decay_t<M>(std::move(m))), inputs);
  }
  // The node whose output is the graph's output; every module node must lead to it.
  void setOutput(Node node);
  // The module of node `name`; UsageError when there is none.
  Module& node(const std::string& name);
  // Whether a node and the node after it run as one fused step where the first can absorb the
  // second (nn::ExecutionPlan; default true): the second must take only the first's output and
  // be its only reader (a batch normalisation and its ReLU, a Linear or convolution and its
  // ReLU, an addition of several inputs and its ReLU). false runs every node on its own (for comparing fused and unfused execution).
  void setFusion(bool fuse);
  // Whether activations between nodes that read and write channels-last stay channels-last
  // (default true); false keeps every activation plain (for comparing the two).
  void setChannelsLast(bool channelsLast);

  Shape outputShape(const Shape& inputShape) const override;
  std::string typeName() const override { return "Graph"; }
  // {"type": "Graph", "input_names": [names], "nodes": [{"name", "inputs": [names], ...spec}],
  //  "output": name}
  nlohmann::json spec() const override;
  int inputCount() const override { return static_cast<int>(inputNames_.size()); }
  Shape outputShapeOfInputs(std::span<const Shape> inputShapes) const override;
  const Tensor& forwardInputs(std::span<const Tensor* const> inputs) override;
  std::span<const Tensor> backwardInputs(std::span<const Tensor* const> inputs,
                                         const Tensor& gradOutput) override;
  std::vector<Child> children() const override;
  // With one input: whether every node reading it reads bf16.
  bool acceptsBf16Input() const override;
  const Module& outputModule() const override;
  std::vector<ChildRun> childRuns(std::span<const Shape> in) const override;
  void setLayerTimes(LayerTimes* times) override;

 protected:
  void updateOutput(const Tensor& input) override;
  void updateGradInput(const Tensor& input, const Tensor& gradOutput) override;
  void updateParameterGradients(const Tensor& input, const Tensor& gradOutput) override;
  void precisionChanged() override { prepared_ = false; }  // the output types are planned again

 private:
  struct ModuleNode {
    std::string name;
    std::unique_ptr<Module> module;
    std::vector<Node> inputs;
    std::vector<const Tensor*> inputValues;  // this pass's inputs, in order
    bool learnableUpstream = false;          // it or a node before it has parameters
    bool inputsLearnable = false;            // some input node has learnableUpstream
    std::unique_ptr<ExecutionPlan> fused;    // this node and the next as one step, or null
    bool absorbed = false;                   // computed by the node before it (its `fused`)
    bool writesBf16 = false;                 // its output (its pair's, when fused) is bf16
  };
  // Node ids: 0 .. inputs-1 are the graph inputs, then the modules in order.
  bool isInput(Node n) const { return n < static_cast<Node>(inputNames_.size()); }
  ModuleNode& moduleNode(Node n) { return modules_[static_cast<size_t>(n) - inputNames_.size()]; }
  const ModuleNode& moduleNode(Node n) const { return modules_[static_cast<size_t>(n) - inputNames_.size()]; }
  std::string nodeName(Node n) const;
  // Checks the output is set and every module leads to it; sizes the per-pass tables; fuses
  // pairs of nodes.
  void prepare();
  // Node i (a module index) and node i + 1 as one step, where they can be (see setFusion).
  void fusePairs(const std::vector<int>& readers);
  // Asks each node (or fused pair) to write bf16 where it can and every reader of its output
  // reads bf16, f32 elsewhere.
  void planOutputTypes();
  // Makes the output of each convolution channels-last where every path from it, through
  // nodes whose output keeps their input's layout, reaches only nodes that read channels-last
  // (and not the graph's output); a node of several inputs gets them all in one layout.
  void planLayouts(const std::vector<int>& readers);
  void checkInputCount(size_t given) const;
  // The shape of every node for per-sample input shapes.
  std::vector<Shape> nodeShapes(std::span<const Shape> inputShapes) const;
  void runForward(std::span<const Tensor* const> inputs);
  // With `inputGradients` false, only what the parameter gradients need (no gradient reaches a
  // node without learnable modules upstream).
  void runBackward(std::span<const Tensor* const> inputs, const Tensor& gradOutput, bool inputGradients);
  // Adds `grad` to the gradient pending for node n: the first two are referenced, not copied;
  // a third is added to their sum.
  void accumulate(Node n, const Tensor& grad);
  // Node n's gradient as at most `parts` tensors to be summed (the pending ones summed first
  // where there are more); empty where no gradient reached it.
  std::span<const Tensor* const> gradientOf(Node n, size_t parts);

  std::vector<std::string> inputNames_;
  std::vector<ModuleNode> modules_;
  Node outputNode_ = -1;
  bool prepared_ = false;
  bool fuse_ = true;
  bool channelsLast_ = true;
  std::vector<const Tensor*> values_;     // per node, this pass's output
  // A node's gradient so far: the sum of `count` parts.
  struct PendingGradient {
    std::array<const Tensor*, 2> parts{};
    size_t count = 0;
  };
  std::vector<PendingGradient> pending_;  // per node
  std::vector<Tensor> gradSums_;          // per node, where fanned-out gradients are summed
  std::vector<Tensor> gradInputs_;      // per graph input
  std::vector<Shape> checkedShapes_;    // the input shapes forwardInputs last checked
  LayerTimes* times_ = nullptr;
};

}  // namespace shoal::nn
