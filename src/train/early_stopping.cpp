// Early stopping: the best validation so far, a copy of its weights, and the count of validations since.
#include "shoal/train/early_stopping.hpp"

#include <cmath>
#include <cstdio>

#include "shoal/error.hpp"
#include "shoal/nn/flat_parameters.hpp"

namespace shoal::train {

EarlyStopping::EarlyStopping(EarlyStoppingSettings settings, const std::vector<ValidationMethod>& methods)
    : settings_(std::move(settings)) {
  if (settings_.patience <= 0)
    throw UsageError("early stopping: patience must be positive, got " + std::to_string(settings_.patience));
  if (methods.empty()) throw UsageError("early stopping needs at least one validation method");
  const ValidationMethod* chosen = &methods.front();
  if (!settings_.metric.empty()) {
    const std::string wanted = validationMethodNamed(settings_.metric).name();
    chosen = nullptr;
    for (const ValidationMethod& m : methods)
      if (m.name() == wanted) chosen = &m;
    if (!chosen) throw UsageError("early stopping watches " + wanted + ", which validation does not compute");
  }
  metric_ = chosen->name();
  lowerIsBetter_ = chosen->lowerIsBetter();
}

bool EarlyStopping::improves(double value) const {
  if (!seen()) return true;
  return lowerIsBetter_ ? value < best_ : value > best_;
}

void EarlyStopping::keep(nn::Module& model) {
  const Tensor& values = model.flatParameters().values();
  if (!bestParameters_.defined() || bestParameters_.numel() != values.numel()) bestParameters_ = Tensor(values.shape());
  bestParameters_.copyFrom(values);
  std::vector<nn::NamedBuffer> buffers = model.stateBuffers();
  bestBuffers_.resize(buffers.size());
  for (size_t i = 0; i < buffers.size(); ++i) {
    if (!bestBuffers_[i].defined() || bestBuffers_[i].numel() != buffers[i].value->numel())
      bestBuffers_[i] = Tensor(buffers[i].value->shape());
    bestBuffers_[i].copyFrom(*buffers[i].value);
  }
}

bool EarlyStopping::observe(const std::vector<ValidationResult>& results, int64_t epoch, int64_t iteration,
                            nn::Module& model) {
  const ValidationResult* r = nullptr;
  for (const ValidationResult& v : results)
    if (v.name == metric_) r = &v;
  if (!r) throw UsageError("early stopping: validation gave no " + metric_);
  const double value = r->value();
  latestIsBest_ = std::isfinite(value) && improves(value);
  if (latestIsBest_) {
    best_ = value;
    bestEpoch_ = epoch;
    bestIteration_ = iteration;
    stale_ = 0;
    keep(model);
    return false;
  }
  return ++stale_ >= settings_.patience;
}

bool EarlyStopping::restoreBest(nn::Module& model) const {
  if (!seen() || latestIsBest_) return false;
  nn::FlatParameters& flat = model.flatParameters();
  flat.values().copyFrom(bestParameters_);
  flat.refreshLowPrecisionCopy();
  std::vector<nn::NamedBuffer> buffers = model.stateBuffers();
  for (size_t i = 0; i < buffers.size(); ++i) buffers[i].value->copyFrom(bestBuffers_[i]);
  return true;
}

std::string EarlyStopping::describeStop() const {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s did not improve on %.4f (epoch %lld, iteration %lld) for %lld validations",
                metric_.c_str(), best_, static_cast<long long>(bestEpoch_), static_cast<long long>(bestIteration_),
                static_cast<long long>(stale_));
  return buf;
}

EarlyStopping::Saved EarlyStopping::save() const {
  Saved saved{{{"metric", metric_},         {"seen", seen()},  {"best", best_},
               {"best_epoch", bestEpoch_},   {"best_iteration", bestIteration_},
               {"stale", stale_},            {"latest_is_best", latestIsBest_}},
              {}};
  if (!seen()) return saved;
  saved.tensors.emplace_back("early_stopping.parameters", bestParameters_);
  for (size_t i = 0; i < bestBuffers_.size(); ++i)
    saved.tensors.emplace_back("early_stopping.buffer." + std::to_string(i), bestBuffers_[i]);
  return saved;
}

void EarlyStopping::restore(const Saved& saved, nn::Module& model, const std::string& source) {
  const nlohmann::json& state = saved.state;
  bool kept = false;
  try {
    if (state.at("metric").get<std::string>() != metric_)
      throw InputError(source + ": its early stopping watched " + state.at("metric").get<std::string>() +
                       ", this run watches " + metric_);
    kept = state.at("seen").get<bool>();
    best_ = state.at("best").get<double>();
    bestEpoch_ = state.at("best_epoch").get<int64_t>();
    bestIteration_ = state.at("best_iteration").get<int64_t>();
    stale_ = state.at("stale").get<int64_t>();
    latestIsBest_ = state.at("latest_is_best").get<bool>();
  } catch (const nlohmann::json::exception& e) {
    throw InputError(source + ": invalid early stopping state: " + e.what());
  }
  bestParameters_ = Tensor();
  bestBuffers_.clear();
  if (!kept) return;
  auto named = [&](const std::string& name, const Tensor& like) {
    for (const auto& [n, t] : saved.tensors)
      if (n == name && t.defined() && t.numel() == like.numel()) return t;
    throw InputError(source + ": early stopping's " + name + " is missing or does not fit the model");
  };
  bestParameters_ = named("early_stopping.parameters", model.flatParameters().values()).clone();
  std::vector<nn::NamedBuffer> buffers = model.stateBuffers();
  for (size_t i = 0; i < buffers.size(); ++i)
    bestBuffers_.push_back(named("early_stopping.buffer." + std::to_string(i), *buffers[i].value).clone());
}

}  // namespace shoal::train
