// GradientReducer: sums ranges of the flat gradient over all ranks, as floats, as bf16 or threshold-encoded.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "shoal/dist/communicator.hpp"
#include "shoal/dist/threshold_encoder.hpp"
#include "shoal/optim/sparse_update.hpp"
#include "shoal/tensor/bfloat16.hpp"

namespace shoal::dist {

// How gradients travel between ranks (dist.compress).
enum class Compression {
  None,       // floats (allReduce)
  Bf16,       // rounded to bf16, summed as bf16 (allReduceBf16): half the bytes
  Threshold,  // DL4J's threshold encoding with error feedback (allGatherBytesInto of codes)
};

// "none", "bf16", "threshold"; ConfigError ("dist.compress") for anything else.
Compression parseCompression(const std::string& name);
std::string compressionName(Compression c);

// Elements offered and sent since the start (threshold: sent = codes over all ranks; else all).
struct CompressionStats {
  double offeredElements = 0;  // summed over ranks
  double sentElements = 0;     // summed over ranks
};

// Every call is collective: all ranks reduce the same ranges in the same order. Every rank ends
// with the same bits: bf16 sums are the communicator's (identical on every rank), threshold codes
// are gathered from every rank and added in rank order.
class GradientReducer {
 public:
  // `count`: the flat gradient's elements; `density`: threshold's target (in (0, 1]);
  // `momentum`: threshold only, the SGD momentum (dampening 0, not Nesterov) moved before
  // sparsification (momentum correction, below); 0: off.
  GradientReducer(Communicator& comm, Compression compression, int64_t count, double density,
                  double momentum = 0);

  Compression compression() const { return compression_; }
  // Before the step's first range (clears the last step's sparse update).
  void startStep();
  // Replaces `grads` (elements [offset, offset + size) of the flat gradient), times `scale`, by
  // its sum over ranks: exactly (None), rounded to bf16 before and after (Bf16), or what the
  // threshold encoding sends this step (Threshold; the rest stays in the residual). The scale is
  // applied in the compression's first pass over the range (None: a pass of its own). With
  // momentum correction `grads` is left as it is and the sum goes into sparseUpdate() instead.
  void reduce(std::span<float> grads, int64_t offset, float scale = 1.0f);
  // After the step's last range: threshold adapts toward its target density.
  void finishStep();
  // Momentum correction: the step's update over the flat parameters, complete after
  // finishStep() (an optimiser takes it with OptimMethod::stepBySparseUpdate).
  bool correctsMomentum() const { return correctsMomentum_; }
  const optim::SparseUpdate& sparseUpdate() const { return update_; }

  const CompressionStats& stats() const { return stats_; }
  // Threshold's encoder (null for the other compressions).
  const ThresholdEncoder* encoder() const { return encoder_ ? &*encoder_ : nullptr; }
  // Puts back threshold's saved state (ThresholdEncoder::restore); UsageError when this reducer
  // does not encode thresholds or a size does not fit.
  void restoreThreshold(std::span<const float> residual, std::span<const float> velocity, float threshold);

 private:
  void reduceBf16(std::span<float> grads, float scale);
  void reduceThreshold(std::span<float> grads, int64_t offset, float scale);
  // Momentum correction: a rank's `codes` of the range [offset, offset + length) into the update,
  // as codes over the flat gradient; Error for a code outside the range.
  void appendToUpdate(std::span<const int32_t> codes, int64_t offset, int64_t length);

  Communicator& comm_;
  Compression compression_;
  std::optional<ThresholdEncoder> encoder_;
  std::vector<bfloat16> bf16_;        // Bf16: the range on the wire
  std::vector<int32_t> codes_;        // Threshold: this rank's codes of the range
  std::vector<int32_t> gathered_;     // Threshold: every rank's codes, in rank order
  std::vector<int64_t> lengths_;      // Threshold: the bytes of codes each rank sent
  // Momentum correction (Deep Gradient Compression, Lin et al. 2018): momentum is applied on
  // each rank before sparsification instead of to the sparse sum. Each rank keeps a velocity
  // u = m u + g of its own gradient and the encoder adds u (not g) into its residual, so the sum
  // G_t decoded from every rank's codes is the step itself: SGD's momentum buffer becomes G_t
  // and the parameters move by -lr G_t. Both are sparse, so the optimiser takes the codes
  // (sparseUpdate(), codes over the flat gradient) and touches only their elements: no pass over
  // all parameters (but weight decay's, SGD::stepBySparseUpdate), and none to decode into the
  // gradient. DGC also clears the velocity of the elements sent (momentum factor masking); with
  // threshold codes, which leave the remainder in the residual, that lost 3.6 points of accuracy
  // on the MLP, so it is not done.
  bool correctsMomentum_ = false;
  optim::SparseUpdate update_;
  double stepOffered_ = 0, stepSent_ = 0;
  CompressionStats stats_;
};

}  // namespace shoal::dist
