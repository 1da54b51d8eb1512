// Sequential container: forward through the chain, backward in reverse.
#include "shoal/nn/sequential.hpp"

#include "shoal/error.hpp"

namespace shoal::nn {

Sequential& Sequential::add(std::unique_ptr<Module> m) & {
  m->setLabel("layer " + std::to_string(modules_.size() + 1) + " (" + m->describe() + ")");
  m->setTraining(training_);
  // Offered to the last module that computes anything: a convolution that took over a ReLU
  // may take over the pooling after it as well.
  for (auto it = modules_.rbegin(); it != modules_.rend(); ++it) {
    if ((*it)->passesThrough()) continue;
    if ((*it)->fuseNext(*m)) m->setPassThrough(true);
    break;
  }
  if (firstLearnable_ == SIZE_MAX && m->parameterCount() > 0) firstLearnable_ = modules_.size();
  modules_.push_back(std::move(m));
  return *this;
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

std::vector<Parameter> Sequential::parameters() {
  std::vector<Parameter> all;
  for (auto& m : modules_)
    for (Parameter& p : m->parameters()) all.push_back(p);
  return all;
}

std::vector<Tensor*> Sequential::stateBuffers() {
  std::vector<Tensor*> all;
  for (auto& m : modules_)
    for (Tensor* t : m->stateBuffers()) all.push_back(t);
  return all;
}

std::vector<Generator*> Sequential::generators() {
  std::vector<Generator*> all;
  for (auto& m : modules_)
    for (Generator* g : m->generators()) all.push_back(g);
  return all;
}

void Sequential::reset(Generator& gen) {
  for (auto& m : modules_) m->reset(gen);
}

void Sequential::setTraining(bool training) {
  Module::setTraining(training);
  for (auto& m : modules_) m->setTraining(training);
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

double* Sequential::forwardClock(size_t layer) { return times_ ? &times_->forwardSeconds[layer] : nullptr; }
double* Sequential::backwardClock(size_t layer) { return times_ ? &times_->backwardSeconds[layer] : nullptr; }

void Sequential::updateOutput(const Tensor& input) {
  if (times_) times_->forwardStarted = Clock::now();
  const Tensor* x = &input;
  for (size_t i = 0; i < modules_.size(); ++i)
    x = &timed(forwardClock(i), [&]() -> const Tensor& { return modules_[i]->forward(*x); });
  output_ = *x;
  if (times_) times_->forwardEnded = Clock::now();
}

void Sequential::updateGradInput(const Tensor& input, const Tensor& gradOutput) {
  if (times_) times_->backwardStarted = Clock::now();
  const Tensor* grad = &gradOutput;
  for (size_t i = modules_.size(); i-- > 0;) {
    const Tensor& in = i == 0 ? input : modules_[i - 1]->output();
    grad = &timed(backwardClock(i),
                  [&]() -> const Tensor& { return modules_[i]->backward(in, *grad); });
  }
  gradInput_ = *grad;
  if (times_) times_->backwardEnded = Clock::now();
}

void Sequential::updateParameterGradients(const Tensor& input, const Tensor& gradOutput) {
  if (times_) times_->backwardStarted = Clock::now();
  const Tensor* grad = &gradOutput;
  auto inputOf = [&](size_t i) -> const Tensor& { return i == 0 ? input : modules_[i - 1]->output(); };
  if (firstLearnable_ != SIZE_MAX) {
    for (size_t i = modules_.size(); --i > firstLearnable_;)
      grad = &timed(backwardClock(i),
                    [&]() -> const Tensor& { return modules_[i]->backward(inputOf(i), *grad); });
    timed(backwardClock(firstLearnable_), [&] {
      modules_[firstLearnable_]->backwardParameters(inputOf(firstLearnable_), *grad);
      return 0;
    });
  }
  if (times_) times_->backwardEnded = Clock::now();
}

}  // namespace shoal::nn
