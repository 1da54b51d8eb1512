// Synchronizer: keeps the model replicas of a data-parallel job consistent, by one of three strategies.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "shoal/dist/bucketed_reduction.hpp"
#include "shoal/dist/gradient_reducer.hpp"

#include "shoal/dist/training_strategy.hpp"

namespace shoal::dist {

enum class Strategy {
  // Synchronous SGD: every step's gradient is averaged over all ranks (one all-reduce of the flat
  // gradient buffer), so every rank takes the same step.
  AllReduce,
  // Local SGD: each rank steps on its own gradients; every K steps the parameters and the
  // optimiser state (momentum, Adam moments) are averaged (DL4J's parameter averaging).
  Average,
  // Full-batch L-BFGS: the gradient and loss over each whole shard are all-reduced at every
  // evaluation, so every rank runs the same L-BFGS (Spark ML's multilayer perceptron solver).
  Lbfgs,
};

// "allreduce", "average", "lbfgs"; ConfigError ("dist.strategy") for anything else.
Strategy parseStrategy(const std::string& name);
std::string strategyName(Strategy s);

// How Strategy::AllReduce moves gradients (dist.compress, dist.threshold_density, dist.overlap,
// dist.bucket_mb). With the defaults, one all-reduce of the whole flat gradient per step; with
// compression or overlap, a BucketedReduction.
struct ExchangeOptions {
  Compression compression = Compression::None;
  double thresholdDensity = 0.01;  // Compression::Threshold: target fraction of elements sent
  bool overlap = false;            // reduce buckets on a communication thread during backward
  int64_t bucketBytes = 1'000'000;
  // Compression::Threshold with SGD momentum (dampening 0, not Nesterov): that momentum, to be
  // applied on each rank before sparsification (GradientReducer's momentum correction); the
  // optimiser then takes sparse steps (OptimMethod::stepBySparseUpdate). 0: off.
  double momentumCorrection = 0;
};

class Synchronizer final : public TrainingStrategy {
 public:
  // `averageEvery` (K) is used by Strategy::Average only and must be positive.
  // Compression and overlap apply to Strategy::AllReduce only (ConfigError naming
  // "dist.compress" or "dist.overlap" otherwise).
  Synchronizer(Communicator& comm, Strategy strategy, int64_t averageEvery = 1,
               ExchangeOptions exchange = {});
  ~Synchronizer() override;

  Communicator& comm() override { return comm_; }
  Strategy strategy() const { return strategy_; }
  int64_t averageEvery() const { return averageEvery_; }
  bool fullBatch() const override { return strategy_ == Strategy::Lbfgs; }
  bool reportsCommunication() const override { return true; }

  // Rank 0's parameters and state buffers (batch-norm statistics) to every rank.
  void broadcastModel(nn::Module& model) override;
  // For the strategies that all-reduce gradients, moves `flat`'s gradient buffer into memory the
  // communicator reduces in place, for as long as the result lives (collective).
  SharedGradients shareGradients(nn::FlatParameters& flat) override;
  // After a backward pass over `samples` local samples with mean loss `loss` (in the closure):
  // AllReduce and Lbfgs replace the gradient by the sample-weighted mean over all ranks and
  // return the global mean loss; Average leaves both local. `stopSignal` (0 or a signal number)
  // travels with the loss; agreedStopSignal() then says whether any rank asked to stop.
  float reduceGradients(nn::FlatParameters& flat, float loss, int64_t samples, int stopSignal) override;
  // With momentum correction, the optimiser's sparse step by what the exchange decoded.
  float step(optim::OptimMethod& method, nn::FlatParameters& flat, const optim::Closure& closure) override;
  // With compression or overlap: the BucketedReduction of `model`'s gradients, until unwatched.
  void watchBackward(nn::Module& model) override;
  void unwatchBackward() override;
  void beginBackward(float loss, int64_t samples, int stopSignal) override;
  ExchangeStats exchangeStats() const override;
  ExchangeState saveExchangeState() override;
  std::string restoreExchangeState(const ExchangeState& saved, const std::string& path) override;
  // After the optimiser took step number `iteration` (from 1): Average averages parameters and
  // optimiser state when `iteration` is a multiple of K, and agrees on stopping there.
  void afterStep(nn::FlatParameters& flat, optim::OptimMethod& method, int64_t iteration,
                 int stopSignal) override;
  // Makes every rank hold the same parameters, optimiser state and state buffers now (before
  // validation, checkpoints and the end of training).
  void synchronize(nn::Module& model, optim::OptimMethod& method) override;
  // The signal to stop with after the last agreement point: 0 when no rank asked, else this
  // rank's own `localSignal`, or SIGTERM when only other ranks received one.
  int agreedStopSignal(int localSignal) const override;
  // True for strategies whose per-step loss is the same on every rank.
  bool globalLoss() const override { return strategy_ != Strategy::Average; }

 private:
  void averageParameters(nn::FlatParameters& flat, optim::OptimMethod& method);
  void averageStateBuffers(nn::Module& model);

  Communicator& comm_;
  Strategy strategy_;
  int64_t averageEvery_;
  ExchangeOptions exchangeOptions_;
  std::unique_ptr<BucketedReduction> exchange_;  // while watching a model's backward
  ExchangeStats finishedExchanges_;              // of the exchanges before the current one
  bool stopAgreed_ = false;
};

}  // namespace shoal::dist
