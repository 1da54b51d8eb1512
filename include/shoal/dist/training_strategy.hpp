// TrainingStrategy: what the training loop asks of the way replicas are kept consistent (none in one process).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "shoal/dist/communicator.hpp"
#include "shoal/dist/exchange_state.hpp"
#include "shoal/dist/shared_gradients.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/nn/module.hpp"
#include "shoal/optim/optim_method.hpp"

namespace shoal::dist {

// The gradient exchange of a strategy that reduces gradients in buckets (compressed or
// overlapped), since the start; all zero for the others.
struct ExchangeStats {
  double offeredElements = 0;  // gradient elements offered for the exchange, summed over ranks
  double sentElements = 0;     // of which sent (fewer under threshold compression)
  double commSeconds = 0;      // the exchange's collectives, waiting included
  double exposedSeconds = 0;   // of which the step waited for (the rest was hidden behind backward)
};

// The trainer calls every hook at its point in the step; single-process training is the
// strategy whose hooks leave everything as it is (singleProcessTraining()), the data-parallel
// ones are dist::Synchronizer.
class TrainingStrategy {
 public:
  virtual ~TrainingStrategy() = default;
  virtual Communicator& comm() = 0;
  // True when every step is one evaluation over the whole (shard of the) training set.
  virtual bool fullBatch() const = 0;
  // True for strategies whose per-step loss is the same on every rank.
  virtual bool globalLoss() const = 0;
  // True when the epoch records and lines report the time and bytes spent communicating.
  virtual bool reportsCommunication() const = 0;

  // Rank 0's parameters and state buffers (batch-norm statistics) to every rank.
  virtual void broadcastModel(nn::Module& model) = 0;
  // Moves `flat`'s gradient buffer into memory the communicator reduces in place, for as long
  // as the result lives (collective), when the strategy all-reduces gradients.
  virtual SharedGradients shareGradients(nn::FlatParameters& flat) = 0;
  // Mini-batch training, for as long as the training loop runs: the strategy may listen to
  // `model`'s backward passes (nn::GradientListener) to send gradients while backward computes
  // the earlier layers. unwatchBackward() ends that.
  virtual void watchBackward(nn::Module& model) {}
  virtual void unwatchBackward() {}
  // In the closure, after forward and before backward over `samples` local samples with mean
  // loss `loss`; reduceGradients follows the backward pass.
  virtual void beginBackward(float loss, int64_t samples, int stopSignal) {}
  virtual ExchangeStats exchangeStats() const { return {}; }
  // While watching backward, between steps, collective: the exchange's own state for a
  // checkpoint, complete on rank 0 (see ExchangeState); none for strategies without one.
  virtual ExchangeState saveExchangeState() { return {}; }
  // While watching backward, before the first step: puts back a state saved in checkpoint
  // `path`; a note when it could not (restoreExchangeState), else "".
  virtual std::string restoreExchangeState(const ExchangeState& saved, const std::string& path) {
    return dist::restoreExchangeState(saved, path, comm(), nullptr);
  }
  // In the closure, after a backward pass over `samples` local samples with mean loss `loss`:
  // the loss the step reports (the gradient may be replaced by the mean over all ranks).
  // `stopSignal` (0 or a signal number) travels with it (see agreedStopSignal()).
  virtual float reduceGradients(nn::FlatParameters& flat, float loss, int64_t samples, int stopSignal) = 0;
  // One optimiser step of `method` over `flat`, whose closure evaluates the loss and gradient
  // (and calls reduceGradients): method.step, unless the strategy's exchange hands the
  // optimiser its update another way.
  virtual float step(optim::OptimMethod& method, nn::FlatParameters& flat, const optim::Closure& closure) {
    return method.step(flat.values(), flat.grads(), closure);
  }
  // After the optimiser took step number `iteration` (from 1).
  virtual void afterStep(nn::FlatParameters& flat, optim::OptimMethod& method, int64_t iteration,
                         int stopSignal) = 0;
  // Makes every rank hold the same parameters, optimiser state and state buffers now (before
  // validation, checkpoints and the end of training).
  virtual void synchronize(nn::Module& model, optim::OptimMethod& method) = 0;
  // The signal to stop with after the last agreement point, given this rank's `localSignal`.
  virtual int agreedStopSignal(int localSignal) const = 0;
};

// Training in one process: mini-batch steps on local gradients, nothing to agree on.
std::unique_ptr<TrainingStrategy> singleProcessTraining();

}  // namespace shoal::dist
