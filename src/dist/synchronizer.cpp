// The three data-parallel strategies: gradient all-reduce, parameter averaging, full-batch L-BFGS.
#include "shoal/dist/synchronizer.hpp"

#include <csignal>
#include <span>

#include "shoal/error.hpp"

namespace shoal::dist {
namespace {

std::span<float> valuesOf(Tensor& t) { return {t.data(), static_cast<size_t>(t.numel())}; }

void scale(std::span<float> values, float factor) {
  for (float& v : values) v *= factor;
}

// Sums `t` over all ranks and divides by their number.
void averageAcrossRanks(Communicator& comm, Tensor& t) {
  comm.allReduce(valuesOf(t), ReduceOp::Sum);
  scale(valuesOf(t), 1.0f / static_cast<float>(comm.size()));
}

}  // namespace

Strategy parseStrategy(const std::string& name) {
  if (name == "allreduce") return Strategy::AllReduce;
  if (name == "average") return Strategy::Average;
  if (name == "lbfgs") return Strategy::Lbfgs;
  throw ConfigError("dist.strategy", "\"dist.strategy\": expected allreduce, average or lbfgs, got '" + name + "'");
}

std::string strategyName(Strategy s) {
  switch (s) {
    case Strategy::AllReduce: return "allreduce";
    case Strategy::Average: return "average";
    case Strategy::Lbfgs: return "lbfgs";
  }
  return "?";
}

Synchronizer::Synchronizer(Communicator& comm, Strategy strategy, int64_t averageEvery,
                           ExchangeOptions exchange)
    : comm_(comm), strategy_(strategy), averageEvery_(averageEvery), exchangeOptions_(exchange) {
  if (averageEvery_ < 1)
    throw ConfigError("dist.average_every", "\"dist.average_every\" must be at least 1, got " +
                                                std::to_string(averageEvery_));
  if (strategy_ != Strategy::AllReduce && exchange.compression != Compression::None)
    throw ConfigError("dist.compress", "\"dist.compress\" applies to \"dist.strategy\" allreduce");
  if (strategy_ != Strategy::AllReduce && exchange.overlap)
    throw ConfigError("dist.overlap", "\"dist.overlap\" applies to \"dist.strategy\" allreduce");
  if (!(exchange.thresholdDensity > 0 && exchange.thresholdDensity <= 1))
    throw ConfigError("dist.threshold_density", "\"dist.threshold_density\" must be in (0, 1]");
  if (exchange.bucketBytes <= 0) throw ConfigError("dist.bucket_mb", "\"dist.bucket_mb\" must be positive");
}

Synchronizer::~Synchronizer() = default;

void Synchronizer::watchBackward(nn::Module& model) {
  unwatchBackward();
  if (strategy_ != Strategy::AllReduce ||
      (exchangeOptions_.compression == Compression::None && !exchangeOptions_.overlap))
    return;
  exchange_ = std::make_unique<BucketedReduction>(comm_, model, exchangeOptions_.compression,
                                                  exchangeOptions_.thresholdDensity,
                                                  exchangeOptions_.bucketBytes, exchangeOptions_.overlap,
                                                  exchangeOptions_.momentumCorrection);
}

void Synchronizer::unwatchBackward() {
  if (!exchange_) return;
  finishedExchanges_ = exchangeStats();
  exchange_.reset();
}

void Synchronizer::beginBackward(float loss, int64_t samples, int stopSignal) {
  if (exchange_) exchange_->begin(loss, samples, stopSignal);
}

ExchangeState Synchronizer::saveExchangeState() {
  return gatherExchangeState(comm_, exchange_ ? &exchange_->reducer() : nullptr);
}

std::string Synchronizer::restoreExchangeState(const ExchangeState& saved, const std::string& path) {
  return dist::restoreExchangeState(saved, path, comm_, exchange_ ? &exchange_->reducer() : nullptr);
}

ExchangeStats Synchronizer::exchangeStats() const {
  ExchangeStats s = finishedExchanges_;
  if (!exchange_) return s;
  const CompressionStats& c = exchange_->reducer().stats();
  s.offeredElements += c.offeredElements;
  s.sentElements += c.sentElements;
  s.commSeconds += exchange_->stats().commSeconds;
  s.exposedSeconds += exchange_->stats().exposedSeconds;
  return s;
}

void Synchronizer::broadcastModel(nn::Module& model) {
  comm_.broadcast(valuesOf(model.flatParameters().values()), 0);
  for (nn::NamedBuffer& buffer : model.stateBuffers()) comm_.broadcast(valuesOf(*buffer.value), 0);
}

SharedGradients Synchronizer::shareGradients(nn::FlatParameters& flat) {
  if (strategy_ == Strategy::Average) return {};
  return SharedGradients(comm_, flat);
}

float Synchronizer::reduceGradients(nn::FlatParameters& flat, float loss, int64_t samples,
                                    int stopSignal) {
  if (strategy_ == Strategy::Average) return loss;
  if (exchange_) {
    const std::array<double, 3> totals = exchange_->finish();
    stopAgreed_ = totals[2] > 0;
    return static_cast<float>(totals[0] / totals[1]);
  }
  double totals[3] = {static_cast<double>(loss) * samples, static_cast<double>(samples),
                      stopSignal ? 1.0 : 0.0};
  comm_.allReduce(std::span<double>(totals), ReduceOp::Sum);
  stopAgreed_ = totals[2] > 0;
  // The global mean gradient is sum_r (n_r / n) g_r for rank r's mean gradient g_r over n_r samples.
  scale(valuesOf(flat.grads()), static_cast<float>(samples / totals[1]));
  comm_.allReduce(valuesOf(flat.grads()), ReduceOp::Sum);
  return static_cast<float>(totals[0] / totals[1]);
}

float Synchronizer::step(optim::OptimMethod& method, nn::FlatParameters& flat, const optim::Closure& closure) {
  if (!exchange_ || !exchange_->reducer().correctsMomentum()) return method.step(flat.values(), flat.grads(), closure);
  return method.stepBySparseUpdate(flat.values(), closure, exchange_->reducer().sparseUpdate());
}

void Synchronizer::afterStep(nn::FlatParameters& flat, optim::OptimMethod& method,
                             int64_t iteration, int stopSignal) {
  if (strategy_ != Strategy::Average || iteration % averageEvery_ != 0) return;
  averageParameters(flat, method);
  double stop = stopSignal ? 1.0 : 0.0;
  comm_.allReduce(std::span<double>(&stop, 1), ReduceOp::Sum);
  stopAgreed_ = stop > 0;
}

int Synchronizer::agreedStopSignal(int localSignal) const {
  if (!stopAgreed_) return 0;
  return localSignal ? localSignal : SIGTERM;
}

void Synchronizer::synchronize(nn::Module& model, optim::OptimMethod& method) {
  if (comm_.size() == 1) return;
  if (strategy_ == Strategy::Average) averageParameters(model.flatParameters(), method);
  averageStateBuffers(model);
}

void Synchronizer::averageParameters(nn::FlatParameters& flat, optim::OptimMethod& method) {
  averageAcrossRanks(comm_, flat.values());
  flat.refreshLowPrecisionCopy();  // bf16 precision reads the averaged weights
  optim::OptimState state = method.saveState();
  if (state.tensors.empty()) return;
  for (auto& [name, tensor] : state.tensors) averageAcrossRanks(comm_, tensor);
  method.restoreState(state);
}

void Synchronizer::averageStateBuffers(nn::Module& model) {
  for (nn::NamedBuffer& buffer : model.stateBuffers()) averageAcrossRanks(comm_, *buffer.value);
}

}  // namespace shoal::dist
