// Graph container: nodes of one or more inputs, forward in order, backward in reverse with fanned-out gradients summed.
#include "shoal/nn/graph.hpp"

#include <chrono>

#include "shoal/backend/vector_kernels.hpp"
#include "shoal/error.hpp"

namespace shoal::nn {
namespace {

using Clock = LayerTimes::Clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

Graph::Node Graph::input(const std::string& name) {
  if (!modules_.empty()) throw UsageError("Graph: add the inputs before the first module node");
  for (const auto& n : inputNames_)
    if (n == name) throw UsageError("Graph: two inputs are named \"" + name + "\"");
  inputNames_.push_back(name);
  prepared_ = false;
  return static_cast<Node>(inputNames_.size()) - 1;
}

std::string Graph::nodeName(Node n) const {
  return isInput(n) ? inputNames_[static_cast<size_t>(n)] : moduleNode(n).name;
}

Graph::Node Graph::add(const std::string& name, std::unique_ptr<Module> module,
                       const std::vector<Node>& inputs) {
  const Node id = static_cast<Node>(inputNames_.size() + modules_.size());
  if (name.empty() || name.find('.') != std::string::npos)
    throw UsageError("Graph: node names must be non-empty and without dots, got \"" + name + "\"");
  for (Node n = 0; n < id; ++n)
    if (nodeName(n) == name) throw UsageError("Graph: two nodes are named \"" + name + "\"");
  if (inputs.empty()) throw UsageError("Graph: node \"" + name + "\" has no inputs");
  for (Node in : inputs)
    if (in < 0 || in >= id)
      throw UsageError("Graph: node \"" + name + "\" takes a node that is not in the graph yet");
  const int wanted = module->inputCount();
  if (wanted == kAnyInputCount ? inputs.size() < 2 : inputs.size() != static_cast<size_t>(wanted))
    throw UsageError("Graph: node \"" + name + "\" (" + module->describe() + ") takes " +
                     (wanted == kAnyInputCount ? std::string("two or more inputs")
                                               : std::to_string(wanted) + " input(s)") +
                     ", got " + std::to_string(inputs.size()));
  module->setLabel("node " + name + " (" + module->describe() + ")");
  module->setTraining(training_);
  modules_.push_back({name, std::move(module), inputs, {}, false, false, nullptr, false});
  prepared_ = false;
  return id;
}

void Graph::setOutput(Node node) {
  if (node < 0 || node >= static_cast<Node>(inputNames_.size() + modules_.size()) || isInput(node))
    throw UsageError("Graph: the output must be a module node");
  outputNode_ = node;
  prepared_ = false;
}

Module& Graph::node(const std::string& name) {
  for (auto& m : modules_)
    if (m.name == name) return *m.module;
  throw UsageError("Graph: no node named \"" + name + "\"");
}

void Graph::prepare() {
  if (prepared_) return;
  if (inputNames_.empty() || outputNode_ < 0)
    throw UsageError("Graph: give it an input and an output (input(), setOutput()) before running it");
  const size_t nodes = inputNames_.size() + modules_.size();
  std::vector<bool> leads(nodes, false);
  leads[static_cast<size_t>(outputNode_)] = true;
  for (Node n = static_cast<Node>(nodes) - 1; n >= static_cast<Node>(inputNames_.size()); --n) {
    if (!leads[static_cast<size_t>(n)])
      throw UsageError("Graph: node \"" + nodeName(n) + "\" is dangling: its output reaches no output (the output is \"" +
                       nodeName(outputNode_) + "\")");
    for (Node in : moduleNode(n).inputs) leads[static_cast<size_t>(in)] = true;
  }
  std::vector<int> readers(nodes, 0);  // per node, how many module nodes read its output
  for (auto& m : modules_) {
    for (Node in : m.inputs) ++readers[static_cast<size_t>(in)];
    m.inputValues.assign(m.inputs.size(), nullptr);
    m.learnableUpstream = m.module->parameterCount() > 0;
    m.inputsLearnable = false;
    for (Node in : m.inputs)
      if (!isInput(in) && moduleNode(in).learnableUpstream) m.learnableUpstream = m.inputsLearnable = true;
  }
  fusePairs(readers);
  planOutputTypes();
  planLayouts(readers);
  values_.assign(nodes, nullptr);
  pending_.assign(nodes, {});
  gradSums_.resize(nodes);
  gradInputs_.resize(inputNames_.size());
  prepared_ = true;
}

void Graph::setFusion(bool fuse) {
  fuse_ = fuse;
  prepared_ = false;
}

void Graph::setChannelsLast(bool channelsLast) {
  channelsLast_ = channelsLast;
  prepared_ = false;
}

void Graph::fusePairs(const std::vector<int>& readers) {
  for (auto& m : modules_) {
    m.fused.reset();
    m.absorbed = false;
  }
  for (size_t i = 0; fuse_ && i + 1 < modules_.size(); ++i) {
    ModuleNode &first = modules_[i], &second = modules_[i + 1];
    const Node firstNode = static_cast<Node>(inputNames_.size() + i);
    if (first.absorbed || second.inputs.size() != 1 ||
        second.inputs[0] != firstNode || readers[static_cast<size_t>(firstNode)] != 1 ||
        firstNode == outputNode_)
      continue;
    Module* pair[] = {first.module.get(), second.module.get()};
    auto plan = std::make_unique<ExecutionPlan>(pair, true);
    if (plan->size() != 1) continue;
    first.fused = std::move(plan);
    second.absorbed = true;
  }
}

void Graph::planOutputTypes() {
  const size_t nodes = inputNames_.size() + modules_.size();
  std::vector<bool> read(nodes, false), readAsBf16(nodes, true);
  for (const ModuleNode& m : modules_)
    for (Node in : m.inputs) {
      const auto n = static_cast<size_t>(in);
      read[n] = true;
      readAsBf16[n] = readAsBf16[n] && m.module->acceptsBf16Input();
    }
  for (size_t i = 0; i < modules_.size(); ++i) {
    ModuleNode& m = modules_[i];
    m.writesBf16 = false;
    if (m.absorbed) continue;  // the node before writes its output
    const size_t out = inputNames_.size() + i + (m.fused ? 1 : 0);
    const bool bf16 = static_cast<Node>(out) != outputNode_ && read[out] && readAsBf16[out];
    if (m.fused) {
      PlanStep& step = m.fused->step(0);
      m.writesBf16 = bf16 && step.canOutputBf16();
      step.setOutputBf16(m.writesBf16);
    } else {
      m.writesBf16 = bf16 && m.module->canOutputBf16();
      m.module->setOutputBf16(m.writesBf16);
    }
  }
}

void Graph::planLayouts(const std::vector<int>& readers) {
  // A unit is a node run on its own or a fused pair, which writes the second node's output.
  struct Unit {
    ModuleNode* node;
    size_t output;  // the node whose output the unit writes
    bool reads;    // reads channels-last
    bool follows;  // its output keeps its inputs' layout
    bool writes;   // can write channels-last when asked
  };
  std::vector<Unit> units;
  for (size_t i = 0; i < modules_.size(); ++i) {
    ModuleNode& m = modules_[i];
    if (m.absorbed) continue;
    const Module& second = m.fused ? *modules_[i + 1].module : *m.module;
    Unit u{&m, inputNames_.size() + i + (m.fused ? 1 : 0), false, false, false};
    if (m.fused) {
      const PlanStep& step = m.fused->step(0);
      u.reads = step.acceptsChannelsLastInput();
      u.follows = m.module->outputFollowsInputLayout() && second.outputFollowsInputLayout();
      u.writes = step.canOutputChannelsLast();
    } else {
      u.reads = m.module->acceptsChannelsLastInput();
      u.follows = m.module->outputFollowsInputLayout();
      u.writes = m.module->canOutputChannelsLast();
    }
    units.push_back(u);
  }
  // Start from every writer's output channels-last, then take it back where a reader cannot
  // read it, until nothing changes (each round only turns outputs plain, so it ends).
  std::vector<bool> channelsLast(inputNames_.size() + modules_.size(), false);
  std::vector<bool> readersRead(channelsLast.size(), true);  // every reader of the output reads it
  for (const Unit& u : units)
    for (Node in : u.node->inputs)
      if (!u.reads) readersRead[static_cast<size_t>(in)] = false;
  for (const Unit& u : units) {
    bool inputsChannelsLast = u.follows;
    for (Node in : u.node->inputs)
      inputsChannelsLast = inputsChannelsLast && channelsLast[static_cast<size_t>(in)];
    channelsLast[u.output] = channelsLast_ && (u.writes || inputsChannelsLast);
  }
  for (bool changed = true; changed;) {
    changed = false;
    for (const Unit& u : units) {
      const size_t o = u.output;
      const bool unread = static_cast<Node>(o) == outputNode_ || readers[o] == 0 || !readersRead[o];
      if (channelsLast[o] && unread) {
        channelsLast[o] = false;
        changed = true;
      }
      if (!u.follows) continue;
      bool anyPlain = false;
      for (Node in : u.node->inputs) anyPlain = anyPlain || !channelsLast[static_cast<size_t>(in)];
      if (channelsLast[o] && anyPlain) {  // the output would not have its inputs' layout
        channelsLast[o] = false;
        changed = true;
      }
      if (!channelsLast[o])
        for (Node in : u.node->inputs)
          if (channelsLast[static_cast<size_t>(in)]) {
            channelsLast[static_cast<size_t>(in)] = false;
            changed = true;
          }
    }
  }
  for (const Unit& u : units) {
    if (!u.writes) continue;
    if (u.node->fused)
      u.node->fused->step(0).setOutputChannelsLast(channelsLast[u.output]);
    else
      u.node->module->setOutputChannelsLast(channelsLast[u.output]);
  }
}

void Graph::checkInputCount(size_t given) const {
  if (given != inputNames_.size())
    throw ShapeError(label() + ": takes " + std::to_string(inputNames_.size()) + " input(s), got " +
                     std::to_string(given));
}

std::vector<Shape> Graph::nodeShapes(std::span<const Shape> inputShapes) const {
  checkInputCount(inputShapes.size());
  std::vector<Shape> shapes(inputShapes.begin(), inputShapes.end());
  for (const auto& m : modules_) {
    std::vector<Shape> in;
    for (Node n : m.inputs) in.push_back(shapes[static_cast<size_t>(n)]);
    shapes.push_back(m.module->outputShapeOfInputs(in));
  }
  return shapes;
}

Shape Graph::outputShape(const Shape& inputShape) const {
  const Shape inputs[] = {inputShape};
  return outputShapeOfInputs(inputs);
}

Shape Graph::outputShapeOfInputs(std::span<const Shape> inputShapes) const {
  if (outputNode_ < 0) throw UsageError("Graph: no output was set");
  return nodeShapes(inputShapes)[static_cast<size_t>(outputNode_)];
}

nlohmann::json Graph::spec() const {
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& m : modules_) {
    nlohmann::json node{{"name", m.name}};
    nlohmann::json inputs = nlohmann::json::array();
    for (Node n : m.inputs) inputs.push_back(nodeName(n));
    node["inputs"] = inputs;
    node.update(m.module->spec());
    nodes.push_back(node);
  }
  return {{"type", "Graph"}, {"input_names", inputNames_}, {"nodes", nodes},
          {"output", outputNode_ < 0 ? "" : nodeName(outputNode_)}};
}

bool Graph::acceptsBf16Input() const {
  if (inputNames_.size() != 1) return false;
  bool read = false;
  for (const ModuleNode& m : modules_)
    for (Node n : m.inputs)
      if (n == 0) {
        if (!m.module->acceptsBf16Input()) return false;
        read = true;
      }
  return read;
}

std::vector<Child> Graph::children() const {
  std::vector<Child> all;
  for (const auto& m : modules_) all.push_back({m.name, m.module.get()});
  return all;
}

const Module& Graph::outputModule() const {
  return outputNode_ < 0 ? *this : moduleNode(outputNode_).module->outputModule();
}

std::vector<ChildRun> Graph::childRuns(std::span<const Shape> in) const {
  std::vector<Shape> shapes = nodeShapes(in);
  // The fused pairs the next forward runs (made now as forward would make them).
  const_cast<Graph*>(this)->prepare();
  // What each node's output holds: a graph input bf16 when every reader takes bf16 (the batch
  // gather then writes bf16); a node (or fused pair) what planOutputTypes chose, and a node that
  // passes on the element type of its inputs bf16 when all of them are.
  std::vector<DType> types(inputNames_.size() + modules_.size(), DType::F32);
  if (acceptsBf16Input()) types[0] = DType::BF16;
  std::vector<ChildRun> runs;
  for (size_t i = 0; i < modules_.size(); ++i) {
    const ModuleNode& m = modules_[i];
    ChildRun r{{m.name, m.module.get()}, {}, shapes[inputNames_.size() + i]};
    bool allBf16 = !m.inputs.empty();
    for (Node n : m.inputs) {
      r.inputShapes.push_back(shapes[static_cast<size_t>(n)]);
      allBf16 = allBf16 && types[static_cast<size_t>(n)] == DType::BF16;
    }
    r.reads = allBf16 ? DType::BF16 : DType::F32;
    if (m.absorbed) {
      r.fusedInto = static_cast<int64_t>(i) - 1;
      r.reads = runs.back().writes;
      r.writes = r.reads;
    } else if (m.module->passesElementType() && !m.fused) {
      r.writes = r.reads;
    } else {
      r.writes = m.writesBf16 ? DType::BF16 : DType::F32;
    }
    types[inputNames_.size() + i] = r.writes;
    runs.push_back(std::move(r));
  }
  return runs;
}

void Graph::setLayerTimes(LayerTimes* times) {
  if (times && times->forwardSeconds.size() != modules_.size())
    throw UsageError("Graph::setLayerTimes: times for " + std::to_string(times->forwardSeconds.size()) +
                     " nodes, the graph has " + std::to_string(modules_.size()));
  times_ = times;
}

void Graph::runForward(std::span<const Tensor* const> inputs) {
  prepare();
  if (times_) times_->forwardStarted = Clock::now();
  for (size_t i = 0; i < inputs.size(); ++i) values_[i] = inputs[i];
  for (size_t i = 0; i < modules_.size(); ++i) {
    ModuleNode& m = modules_[i];
    if (m.absorbed) continue;  // the node before computed it
    for (size_t k = 0; k < m.inputs.size(); ++k) m.inputValues[k] = values_[static_cast<size_t>(m.inputs[k])];
    Clock::time_point start = times_ ? Clock::now() : Clock::time_point{};
    if (m.fused)  // this node's output is read only by the next node, whose output this computes
      values_[inputNames_.size() + i + 1] = &m.fused->step(0).forwardInputs(m.inputValues);
    else
      values_[inputNames_.size() + i] = &m.module->forwardInputs(m.inputValues);
    if (times_) times_->forwardSeconds[i] += secondsSince(start);
  }
  output_ = *values_[static_cast<size_t>(outputNode_)];
  if (times_) times_->forwardEnded = Clock::now();
}

void Graph::accumulate(Node n, const Tensor& grad) {
  PendingGradient& pending = pending_[static_cast<size_t>(n)];
  if (pending.count == pending.parts.size()) gradientOf(n, 1);
  pending.parts[pending.count++] = &grad;
}

std::span<const Tensor* const> Graph::gradientOf(Node n, size_t parts) {
  PendingGradient& pending = pending_[static_cast<size_t>(n)];
  if (pending.count > parts) {
    // sum [shape] (f32) = part 1 [shape] + part 2 [shape], each f32 or bf16 (from a bf16
    // Linear); part 1 is the sum itself where a third part came
    Tensor& sum = gradSums_[static_cast<size_t>(n)];
    const Tensor &first = *pending.parts[0], &second = *pending.parts[1];
    if (&first != &sum) {
      sum.resize(second.shape(), DType::F32);
      sum.setLayout(second.layout());
    }
    backend::add(first, second, sum);
    pending.parts = {&sum, nullptr};
    pending.count = 1;
  }
  return {pending.parts.data(), pending.count};
}

void Graph::runBackward(std::span<const Tensor* const> inputs, const Tensor& gradOutput,
                        bool inputGradients) {
  if (times_) times_->backwardStarted = Clock::now();
  for (auto& m : modules_)  // the inputs backward is given, as Sequential takes them
    for (size_t k = 0; k < m.inputs.size(); ++k)
      if (isInput(m.inputs[k])) m.inputValues[k] = inputs[static_cast<size_t>(m.inputs[k])];
  std::fill(pending_.begin(), pending_.end(), PendingGradient{});
  accumulate(outputNode_, gradOutput);
  for (size_t i = modules_.size(); i-- > 0;) {
    ModuleNode& m = modules_[i];
    if (m.absorbed) continue;  // its gradient goes to the node before, which computed it
    if (!inputGradients && !m.learnableUpstream) continue;
    PlanStep* step = m.fused ? &m.fused->step(0) : nullptr;
    const Node out = static_cast<Node>(inputNames_.size() + i + (m.fused ? 1 : 0));
    std::span<const Tensor* const> grad = gradientOf(out, step ? step->gradientParts() : 1);
    if (grad.empty()) continue;
    Clock::time_point start = times_ ? Clock::now() : Clock::time_point{};
    const bool upstreamNeedsGradient = inputGradients || m.inputsLearnable;
    std::span<const Tensor> grads;  // one per input, where upstream needs them
    if (!upstreamNeedsGradient && m.inputs.size() == 1) {
      if (step)
        step->backwardParameters(*m.inputValues[0], *grad[0]);
      else
        m.module->backwardParameters(*m.inputValues[0], *grad[0]);
    } else {
      grads = step ? step->backwardInputs(m.inputValues, grad)
                   : m.module->backwardInputs(m.inputValues, *grad[0]);
    }
    for (size_t k = 0; k < grads.size(); ++k) accumulate(m.inputs[k], grads[k]);
    if (times_) times_->backwardSeconds[i] += secondsSince(start);
  }
  if (times_) times_->backwardEnded = Clock::now();
}

void Graph::updateOutput(const Tensor& input) {
  checkInputCount(1);
  const Tensor* inputs[] = {&input};
  runForward(inputs);
}

const Tensor& Graph::forwardInputs(std::span<const Tensor* const> inputs) {
  checkInputCount(inputs.size());
  bool same = checkedShapes_.size() == inputs.size();
  for (size_t i = 0; same && i < inputs.size(); ++i)
    same = inputs[i]->rank() > 0 && checkedShapes_[i] == inputs[i]->shape().tail();
  if (!same) {
    std::vector<Shape> shapes;
    for (const Tensor* t : inputs) {
      if (t->rank() == 0) throw ShapeError(label() + ": inputs must have a batch dimension");
      shapes.push_back(t->shape().tail());
    }
    outputShapeOfInputs(shapes);
    checkedShapes_ = shapes;
  }
  runForward(inputs);
  return output_;
}

std::span<const Tensor> Graph::backwardInputs(std::span<const Tensor* const> inputs,
                                              const Tensor& gradOutput) {
  checkInputCount(inputs.size());
  if (gradOutput.shape() != output_.shape())
    throw ShapeError(label() + ": gradOutput has shape " + gradOutput.shape().str() +
                     ", expected the output shape " + output_.shape().str());
  runBackward(inputs, gradOutput, /*inputGradients=*/true);
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::span<const Tensor* const> grad = gradientOf(static_cast<Node>(i), 1);
    if (!grad.empty()) {
      gradInputs_[i] = *grad[0];
    } else {  // an input no output depends on
      gradInputs_[i].resize(inputs[i]->shape());
      gradInputs_[i].fill(0.0f);
    }
  }
  return gradInputs_;
}

void Graph::updateGradInput(const Tensor& input, const Tensor& gradOutput) {
  const Tensor* inputs[] = {&input};
  gradInput_ = backwardInputs(inputs, gradOutput)[0];
}

void Graph::updateParameterGradients(const Tensor& input, const Tensor& gradOutput) {
  checkInputCount(1);
  const Tensor* inputs[] = {&input};
  runBackward(inputs, gradOutput, /*inputGradients=*/false);
}

}  // namespace shoal::nn
