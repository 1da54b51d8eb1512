// Bucketed gradient reduction: buckets from the end of the flat gradient, handed to a communication thread as backward finishes them.
#include "shoal/dist/bucketed_reduction.hpp"

#include <algorithm>
#include <chrono>

#include "shoal/error.hpp"

namespace shoal::dist {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

BucketedReduction::BucketedReduction(Communicator& comm, nn::Module& model, Compression compression,
                                     double thresholdDensity, int64_t bucketBytes, bool overlap,
                                     double momentumCorrection)
    : comm_(comm), model_(model), flat_(model.flatParameters()),
      reducer_(comm, compression, flat_.count(), thresholdDensity, momentumCorrection), overlap_(overlap) {
  if (bucketBytes <= 0) throw ConfigError("dist.bucket_mb", "\"dist.bucket_mb\" must be positive");
  bucketElements_ = std::max<int64_t>(1, bucketBytes / static_cast<int64_t>(sizeof(float)));
  for (int64_t end = flat_.count(); end > 0; end -= bucketElements_)
    buckets_.push_back(Bucket{std::max<int64_t>(0, end - bucketElements_), end});
  queue_.reserve(buckets_.size() + 1);
  if (overlap_) thread_ = std::thread([this] { threadLoop(); });
  model_.setGradientListener(this);
}

BucketedReduction::~BucketedReduction() {
  model_.setGradientListener(nullptr);
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void BucketedReduction::begin(float loss, int64_t samples, int stopSignal) {
  totals_[0] = static_cast<double>(loss) * samples;
  totals_[1] = localSamples_ = static_cast<double>(samples);
  totals_[2] = stopSignal ? 1.0 : 0.0;
  for (Bucket& b : buckets_) b.pending = b.end - b.begin;
  nextBucket_ = 0;
  stepActive_ = true;
  reducer_.startStep();
  if (overlap_) enqueue(kTotals);
}

void BucketedReduction::gradientReady(const Tensor& grad) {
  if (!stepActive_ || !overlap_) return;
  const int64_t begin = grad.data() - flat_.grads().data(), end = begin + grad.numel();
  if (begin < 0 || end > flat_.count() || begin == end) return;  // not of this model's buffer
  // buckets count from the end of the buffer: element e is in bucket (count - 1 - e) / size
  const int64_t count = flat_.count();
  for (int64_t b = (count - end) / bucketElements_; b <= (count - 1 - begin) / bucketElements_; ++b) {
    Bucket& bucket = buckets_[static_cast<size_t>(b)];
    bucket.pending -= std::min(end, bucket.end) - std::max(begin, bucket.begin);
  }
  enqueueReadyBuckets();
}

void BucketedReduction::enqueueReadyBuckets() {
  while (nextBucket_ < buckets_.size() && buckets_[nextBucket_].pending <= 0)
    enqueue(static_cast<int>(nextBucket_++));
}

std::array<double, 3> BucketedReduction::finish() {
  const auto waitStart = Clock::now();
  if (!overlap_) {
    run(kTotals);
    for (size_t b = 0; b < buckets_.size(); ++b) run(static_cast<int>(b));
  } else {
    // buckets backward did not report (a parameter without a gradient pass) go now, in order
    for (Bucket& b : buckets_) b.pending = 0;
    enqueueReadyBuckets();
    std::unique_lock lock(mutex_);
    done_.wait(lock, [this] { return (queueHead_ == queue_.size() && !busy_) || failure_; });
    queue_.clear();
    queueHead_ = 0;
    if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
  }
  stats_.exposedSeconds += secondsSince(waitStart);
  stepActive_ = false;
  reducer_.finishStep();
  return {totals_[0], totals_[1], totals_[2]};
}

void BucketedReduction::enqueue(int job) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(job);
  }
  wake_.notify_one();
}

// One job: the totals, or bucket `job` scaled by this rank's share of the samples (in the
// compression's first pass over it) and summed.
void BucketedReduction::run(int job) {
  const auto start = Clock::now();
  if (job == kTotals) {
    comm_.allReduce(std::span<double>(totals_), ReduceOp::Sum);
  } else {
    const Bucket& b = buckets_[static_cast<size_t>(job)];
    std::span<float> grads(flat_.grads().data() + b.begin, static_cast<size_t>(b.end - b.begin));
    reducer_.reduce(grads, b.begin, static_cast<float>(localSamples_ / totals_[1]));
  }
  stats_.commSeconds += secondsSince(start);
}

void BucketedReduction::threadLoop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || queueHead_ < queue_.size(); });
    if (stopping_) return;
    const int job = queue_[queueHead_++];
    busy_ = true;
    lock.unlock();
    try {
      run(job);
    } catch (...) {
      lock.lock();
      failure_ = std::current_exception();
      busy_ = false;
      queueHead_ = queue_.size();  // the rest of the step is lost with it
      done_.notify_all();
      continue;
    }
    lock.lock();
    busy_ = false;
    if (queueHead_ == queue_.size()) done_.notify_all();
  }
}

}  // namespace shoal::dist
