// Sequential container: forward through the plan's steps, backward in reverse, and its JSON builder.
#include "shoal/nn/sequential.hpp"

#include "shoal/error.hpp"
#include "shoal/nn/layer_registry.hpp"
#include "shoal/nn/model_spec.hpp"

namespace shoal::nn {

Sequential& Sequential::add(std::unique_ptr<Module> m) & {
  m->setLabel("layer " + std::to_string(modules_.size() + 1) + " (" + m->describe() + ")");
  m->setTraining(training_);
  modules_.push_back(std::move(m));
  plan_.reset();
  return *this;
}

void Sequential::setFusion(bool fuse) {
  fuse_ = fuse;
  plan_.reset();
}

const ExecutionPlan& Sequential::plan() {
  if (plan_) return *plan_;
  std::vector<Module*> chain;
  for (auto& m : modules_) chain.push_back(m.get());
  plan_ = std::make_unique<ExecutionPlan>(chain, fuse_);
  stepOutputs_.assign(plan_->size(), nullptr);
  firstLearnableStep_ = SIZE_MAX;
  for (size_t i = 0; i < plan_->size() && firstLearnableStep_ == SIZE_MAX; ++i) {
    size_t first = plan_->firstModule(i);
    for (size_t m = first; m < first + plan_->step(i).modules(); ++m)
      if (modules_[m]->parameterCount() > 0) firstLearnableStep_ = i;
  }
  return *plan_;
}

Shape Sequential::outputShape(const Shape& inputShape) const {
  Shape shape = inputShape;
  for (const auto& m : modules_) shape = m->outputShape(shape);
  return shape;
}

nlohmann::json Sequential::spec() const {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& m : modules_) layers.push_back(m->spec());
  return {{"type", "Sequential"}, {"layers", layers}};
}

std::vector<Child> Sequential::children() const {
  std::vector<Child> all;
  for (size_t i = 0; i < modules_.size(); ++i) all.push_back({std::to_string(i), modules_[i].get()});
  return all;
}

const Module& Sequential::outputModule() const {
  return modules_.empty() ? *this : modules_.back()->outputModule();
}

bool Sequential::acceptsBf16Input() const {
  for (const auto& m : modules_)
    if (!m->passesElementType()) return m->acceptsBf16Input();
  return false;
}

std::vector<ChildRun> Sequential::childRuns(std::span<const Shape> in) const {
  std::vector<ChildRun> runs;
  Shape shape = in.empty() ? Shape{} : in[0];
  for (size_t i = 0; i < modules_.size(); ++i) {
    Shape next = modules_[i]->outputShape(shape);
    runs.push_back({{std::to_string(i), modules_[i].get()}, {shape}, next});
    shape = next;
  }
  // The plan the next forward runs (a cache of the chain, made now as forward would make it).
  const ExecutionPlan& p = const_cast<Sequential*>(this)->plan();
  DType carried = acceptsBf16Input() ? DType::BF16 : DType::F32;  // batches gathered as bf16
  for (size_t s = 0; s < p.size(); ++s) {
    const size_t first = p.firstModule(s), end = first + p.step(s).modules();
    const DType reads = carried;
    carried = modules_[first]->passesElementType() ? reads
              : p.writesBf16(s)                     ? DType::BF16
                                                    : DType::F32;
    for (size_t m = first; m < end; ++m) {
      runs[m].fusedInto = m == first ? -1 : static_cast<int64_t>(first);
      runs[m].reads = m == first ? reads : carried;
      runs[m].writes = carried;
    }
  }
  return runs;
}

void Sequential::setLayerTimes(LayerTimes* times) {
  if (times && times->forwardSeconds.size() != modules_.size())
    throw UsageError("Sequential::setLayerTimes: times for " +
                     std::to_string(times->forwardSeconds.size()) + " layers, the model has " +
                     std::to_string(modules_.size()));
  times_ = times;
}

namespace {

using Clock = LayerTimes::Clock;

// Runs `pass`, adding its wall time to *seconds unless seconds is null (timing off).
template <class Pass>
decltype(auto) timed(double* seconds, Pass&& pass) {
  if (!seconds) return pass();
  Clock::time_point start = Clock::now();
  decltype(auto) result = pass();
  *seconds += std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

}  // namespace

double* Sequential::forwardClock(size_t step) {
  return times_ ? &times_->forwardSeconds[plan_->firstModule(step)] : nullptr;
}
double* Sequential::backwardClock(size_t step) {
  return times_ ? &times_->backwardSeconds[plan_->firstModule(step)] : nullptr;
}

const Tensor& Sequential::stepInput(size_t i, const Tensor& input) {
  return i == 0 ? input : *stepOutputs_[i - 1];
}

void Sequential::updateOutput(const Tensor& input) {
  plan();
  if (times_) times_->forwardStarted = Clock::now();
  const Tensor* x = &input;
  for (size_t i = 0; i < plan_->size(); ++i) {
    x = &timed(forwardClock(i), [&]() -> const Tensor& { return plan_->step(i).forward(*x); });
    stepOutputs_[i] = x;
  }
  output_ = *x;
  if (times_) times_->forwardEnded = Clock::now();
}

void Sequential::updateGradInput(const Tensor& input, const Tensor& gradOutput) {
  if (times_) times_->backwardStarted = Clock::now();
  const Tensor* grad = &gradOutput;
  for (size_t i = plan_->size(); i-- > 0;)
    grad = &timed(backwardClock(i), [&]() -> const Tensor& {
      return plan_->step(i).backward(stepInput(i, input), *grad);
    });
  gradInput_ = *grad;
  if (times_) times_->backwardEnded = Clock::now();
}

void Sequential::updateParameterGradients(const Tensor& input, const Tensor& gradOutput) {
  if (times_) times_->backwardStarted = Clock::now();
  const Tensor* grad = &gradOutput;
  if (firstLearnableStep_ != SIZE_MAX) {
    for (size_t i = plan_->size(); --i > firstLearnableStep_;)
      grad = &timed(backwardClock(i), [&]() -> const Tensor& {
        return plan_->step(i).backward(stepInput(i, input), *grad);
      });
    timed(backwardClock(firstLearnableStep_), [&] {
      plan_->step(firstLearnableStep_).backwardParameters(stepInput(firstLearnableStep_, input), *grad);
      return 0;
    });
  }
  if (times_) times_->backwardEnded = Clock::now();
}

namespace {

// A Sequential from its "layers" list: layers are named "layer i" (from 1) in errors, and shapes
// must chain from the input's.
std::unique_ptr<Module> buildSequential(const LayerArgs& a) {
  if (!a.node().contains("layers")) throw InputError(a.location() + ": a Sequential needs a \"layers\" list");
  const nlohmann::json& layers = a.node().at("layers");
  if (!layers.is_array())
    throw InputError(a.location() + ": expected a list of layers or an object with a \"layers\" list");
  if (layers.empty()) throw InputError(a.location() + ": the model has no layers");
  auto model = std::make_unique<Sequential>();
  Shape shape = a.inputShape();
  for (size_t i = 0; i < layers.size(); ++i) {
    const Shape inputs[] = {shape};
    model->add(buildModule(layers[i], inputs, a.location() + ": layer " + std::to_string(i + 1)));
    try {
      shape = model->at(i).outputShape(shape);
    } catch (const InputError&) {
      throw;
    } catch (const Error& e) {
      throw ShapeError(a.location() + ": " + e.what());
    }
  }
  return model;
}

}  // namespace

SHOAL_REGISTER_LAYER(Sequential, {"Sequential", {"layers"}, buildSequential});

}  // namespace shoal::nn
