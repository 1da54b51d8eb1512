// Shape-checked forward/backward entry points, the module-tree walk and the shared parts of every module.
#include "shoal/nn/module.hpp"

#include "shoal/error.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/nn/gradient_listener.hpp"

namespace shoal::nn {
namespace {

// "prefix.name", or `name` at the root.
std::string joined(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

}  // namespace

Module::Module() = default;
Module::~Module() = default;

Module::Module(Module&& other) noexcept
    : output_(std::move(other.output_)), gradInput_(std::move(other.gradInput_)),
      training_(other.training_), precision_(other.precision_), label_(std::move(other.label_)),
      checkedInput_(other.checkedInput_), inputChecked_(other.inputChecked_) {}

Module& Module::operator=(Module&& other) noexcept {
  output_ = std::move(other.output_);
  gradInput_ = std::move(other.gradInput_);
  training_ = other.training_;
  precision_ = other.precision_;
  label_ = std::move(other.label_);
  checkedInput_ = other.checkedInput_;
  inputChecked_ = other.inputChecked_;
  flat_.reset();
  return *this;
}

void Module::checkInput(const Tensor& input) {
  if (input.rank() == 0) throw ShapeError(label() + ": input must have a batch dimension");
  if (input.layout() == Layout::ChannelsLast && !acceptsChannelsLastInput())
    throw UsageError(label() + ": cannot read a channels-last input " + input.shape().str() +
                     " (only convolution, batch normalisation, ReLU, addition and pooling do)");
  Shape sample = input.shape().tail();
  if (inputChecked_ && sample == checkedInput_) return;
  outputShape(sample);  // throws with the layer and both sizes
  checkedInput_ = sample;
  inputChecked_ = true;
}

const Tensor& Module::forward(const Tensor& input) {
  checkInput(input);
  updateOutput(input);
  return output_;
}

void Module::checkGradOutput(const Tensor& input, const Tensor& gradOutput) {
  checkInput(input);
  if (gradOutput.shape() != output_.shape())
    throw ShapeError(label() + ": gradOutput has shape " + gradOutput.shape().str() +
                     ", expected the output shape " + output_.shape().str());
}

void Module::backwardParameters(const Tensor& input, const Tensor& gradOutput) {
  checkGradOutput(input, gradOutput);
  updateParameterGradients(input, gradOutput);
  gradientsReady();
}

const Tensor& Module::backward(const Tensor& input, const Tensor& gradOutput) {
  checkGradOutput(input, gradOutput);
  updateGradInput(input, gradOutput);
  accGradParameters(input, gradOutput);
  gradientsReady();
  return gradInput_;
}

void Module::setGradientListener(GradientListener* listener) {
  apply([listener](const std::string&, Module& m) {
    m.gradientListener_ = listener;
    m.ownGrads_.clear();
    if (listener)
      for (const Parameter& p : m.ownParameters()) m.ownGrads_.push_back(p.grad);
  });
}

void Module::gradientsReady() {
  if (!gradientListener_) return;
  if (reportedInParts_) {
    reportedInParts_ = false;
    return;
  }
  for (auto grad = ownGrads_.rbegin(); grad != ownGrads_.rend(); ++grad)
    gradientListener_->gradientReady(**grad);
}

void Module::gradientPartReady(const Tensor& part) {
  if (!gradientListener_) return;
  reportedInParts_ = true;
  gradientListener_->gradientReady(part);
}

nlohmann::json Module::spec() const { return {{"type", typeName()}}; }

void Module::setPrecision(Precision precision) {
  bool anyBf16 = false;
  apply([&](const std::string&, Module& m) {
    m.precision_ = m.hasBf16Path() ? precision : Precision::F32;
    m.precisionChanged();  // a layer may keep f32 where bf16 does not pay
    anyBf16 = anyBf16 || m.precision_ == Precision::BF16;
  });
  if (anyBf16)
    flatParameters().enableLowPrecisionCopy();
  else if (flat_)
    flat_->disableLowPrecisionCopy();
}

namespace {

void expectOneInput(const Module& m, size_t given) {
  if (given != 1)
    throw ShapeError(m.label() + ": takes one input, got " + std::to_string(given));
}

}  // namespace

Shape Module::outputShapeOfInputs(std::span<const Shape> inputShapes) const {
  expectOneInput(*this, inputShapes.size());
  return outputShape(inputShapes[0]);
}

const Tensor& Module::forwardInputs(std::span<const Tensor* const> inputs) {
  expectOneInput(*this, inputs.size());
  return forward(*inputs[0]);
}

std::span<const Tensor> Module::backwardInputs(std::span<const Tensor* const> inputs,
                                               const Tensor& gradOutput) {
  expectOneInput(*this, inputs.size());
  gradInputs_[0] = backward(*inputs[0], gradOutput);
  return gradInputs_;
}

void Module::apply(const std::function<void(const std::string&, Module&)>& visit) {
  std::function<void(const std::string&, Module&)> walk = [&](const std::string& path, Module& m) {
    visit(path, m);
    for (const Child& c : m.children()) walk(joined(path, c.name), *c.module);
  };
  walk("", *this);
}

namespace {

// What `own` gives for every module of the tree under `root`, named by path ("3.weight").
template <class T, class Own>
std::vector<T> collectNamed(Module& root, Own own) {
  std::vector<T> all;
  root.apply([&](const std::string& path, Module& m) {
    for (T item : own(m)) {
      item.name = joined(path, item.name);
      all.push_back(std::move(item));
    }
  });
  return all;
}

}  // namespace

std::vector<Parameter> Module::parameters() {
  return collectNamed<Parameter>(*this, [](Module& m) { return m.ownParameters(); });
}

std::vector<NamedBuffer> Module::stateBuffers() {
  return collectNamed<NamedBuffer>(*this, [](Module& m) { return m.ownStateBuffers(); });
}

std::vector<Generator*> Module::generators() {
  std::vector<Generator*> all;
  apply([&](const std::string&, Module& m) {
    for (Generator* g : m.ownGenerators()) all.push_back(g);
  });
  return all;
}

void Module::reset(Generator& gen) {
  apply([&](const std::string&, Module& m) { m.resetOwn(gen); });
}

void Module::setTraining(bool training) {
  apply([&](const std::string&, Module& m) { m.training_ = training; });
}

int64_t Module::flops(std::span<const Shape> in, const Shape& out) const {
  std::vector<ChildRun> runs = childRuns(in);
  if (runs.empty()) return out.numel();
  int64_t total = 0;
  for (const ChildRun& r : runs) total += r.child.module->flops(r.inputShapes, r.outputShape);
  return total;
}

FlatParameters& Module::flatParameters() {
  if (!flat_) flat_ = std::make_unique<FlatParameters>(parameters());
  return *flat_;
}

void Module::zeroGradParameters() {
  if (flat_) return flat_->zeroGrads();
  for (Parameter& p : parameters()) p.grad->fill(0.0f);
}

int64_t Module::parameterCount() {
  int64_t n = 0;
  for (Parameter& p : parameters()) n += p.value->numel();
  return n;
}

}  // namespace shoal::nn
