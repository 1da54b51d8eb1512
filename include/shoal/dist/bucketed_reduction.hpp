// BucketedReduction: the flat gradient summed over ranks in buckets, last layer first, optionally on a communication thread while backward runs.
#pragma once
#include <array>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "shoal/dist/communicator.hpp"
#include "shoal/dist/gradient_reducer.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/nn/gradient_listener.hpp"
#include "shoal/nn/module.hpp"

namespace shoal::dist {

// Communication time of the gradient exchange since the start.
struct OverlapStats {
  double commSeconds = 0;     // the step's collectives (totals and buckets), waiting included
  double exposedSeconds = 0;  // of which the trainer waited for (the rest was hidden behind backward)
};

// Buckets are ranges of `bucketBytes` of the flat gradient (the last may be smaller), counted
// from its end, so the last layer's gradients, which backward makes first, fill the first
// bucket; a bucket is final once every element in it was reported, whether a gradient came
// whole or in parts (a layer may report blocks of a large gradient as it computes them). A step is begin(), the backward pass, finish(): every bucket is
// reduced in the same order on every rank (bucket 0 = the end of the buffer, then onwards), so
// overlapped and plain runs make the same collectives with the same values and give the same
// bits. With `overlap`, the listener hands each bucket to a communication thread (the only
// thread that makes collectives between begin() and finish()) as soon as it and every bucket
// before it are final; without it, finish() reduces them all. The listener is set on the model
// either way, so that its layers compute their gradients the same way (Linear's blocks) and
// both give the same bits.
// Gradients are scaled by this rank's share of the samples before they are summed, so the
// result is the sample-weighted mean over ranks.
class BucketedReduction final : public nn::GradientListener {
 public:
  BucketedReduction(Communicator& comm, nn::Module& model, Compression compression,
                    double thresholdDensity, int64_t bucketBytes, bool overlap,
                    double momentumCorrection = 0);
  // Detaches from the model and ends the communication thread.
  ~BucketedReduction() override;
  BucketedReduction(const BucketedReduction&) = delete;
  BucketedReduction& operator=(const BucketedReduction&) = delete;

  // Before backward: this rank's mean loss over `samples` samples and its stop signal, summed
  // over ranks first.
  void begin(float loss, int64_t samples, int stopSignal);
  void gradientReady(const Tensor& grad) override;
  // After backward: waits for every bucket; the gradient then holds the global mean. Returns
  // {sum of loss x samples, sum of samples, ranks with a stop signal} over all ranks.
  std::array<double, 3> finish();

  size_t bucketCount() const { return buckets_.size(); }
  const OverlapStats& stats() const { return stats_; }
  const GradientReducer& reducer() const { return reducer_; }
  // Between steps only (the communication thread is idle then).
  GradientReducer& reducer() { return reducer_; }

 private:
  struct Bucket {
    int64_t begin, end;    // elements [begin, end) of the flat gradient
    int64_t pending = 0;   // elements not yet reported final this step
  };
  static constexpr int kTotals = -1;  // the job that sums loss, samples and stop signals

  void run(int job);
  void enqueue(int job);  // overlap: hand to the thread; else run now
  void enqueueReadyBuckets();
  void threadLoop();

  Communicator& comm_;
  nn::Module& model_;
  nn::FlatParameters& flat_;
  GradientReducer reducer_;
  std::vector<Bucket> buckets_;
  int64_t bucketElements_ = 0;
  bool overlap_;
  bool stepActive_ = false;
  size_t nextBucket_ = 0;  // the next bucket to hand on this step
  double totals_[3] = {0, 0, 0};
  double localSamples_ = 0;
  OverlapStats stats_;

  // the communication thread's queue
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::vector<int> queue_;
  size_t queueHead_ = 0;
  bool busy_ = false, stopping_ = false;
  std::exception_ptr failure_;
};

}  // namespace shoal::dist
