// Dataset: samples held in memory (uint8 images or float features) with class labels or numeric targets, batched on demand.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "shoal/data/preprocessing.hpp"
#include "shoal/tensor/tensor.hpp"

namespace shoal::data {

class Dataset {
 public:
  Dataset() = default;
  // Images: `pixels` holds size * sampleShape.numel() bytes.
  static Dataset fromBytes(Shape sampleShape, std::vector<uint8_t> pixels,
                           std::vector<int32_t> labels, int numClasses);
  // Tabular rows: `features` holds size * sampleShape.numel() floats.
  static Dataset fromFloats(Shape sampleShape, std::vector<float> features,
                            std::vector<int32_t> labels, int numClasses);
  // Samples in memory the caller owns, used in place (no copy): `count` samples of
  // sampleShape.numel() values from `pixels` (`features`), which `owner` keeps alive for as long
  // as this data set or a copy of it lives (front ends pass the array object they borrow from).
  static Dataset borrowBytes(Shape sampleShape, const uint8_t* pixels, int64_t count,
                             std::vector<int32_t> labels, int numClasses, std::shared_ptr<const void> owner);
  static Dataset borrowFloats(Shape sampleShape, const float* features, int64_t count,
                              std::vector<int32_t> labels, int numClasses, std::shared_ptr<const void> owner);

  int64_t size() const { return size_; }
  const Shape& sampleShape() const { return sampleShape_; }
  int numClasses() const { return numClasses_; }
  // False for unlabelled data (CSV read with --no-label): neither class labels nor targets.
  bool hasLabels() const { return !labels_.empty() || targetWidth_ > 0; }
  // Class labels; empty for unlabelled data and for data with numeric targets.
  const std::vector<int32_t>& labels() const { return labels_; }
  // Numeric targets instead of class labels (regression): `values` holds size() * width finite
  // floats, row by row. Only for a data set made without labels; UsageError naming the first
  // value that is not finite, ShapeError when the count does not fit.
  void setTargets(std::vector<float> values, int64_t width);
  // Values per sample's target; 0 for class labels or unlabelled data.
  int64_t targetWidth() const { return targetWidth_; }
  const Preprocessing& preprocessing() const { return preprocessing_; }
  // Samples per block for a local shuffle (data::EpochOrder's block shuffle) of samples streamed
  // from a mapped file; 0: shuffle the whole set.
  int64_t shuffleBlock() const { return shuffleBlock_; }
  void setShuffleBlock(int64_t samples) { shuffleBlock_ = samples; }
  void setPreprocessing(Preprocessing p);
  // Views every sample under another shape with the same element count (784 -> 1x28x28).
  void reshapeSamples(const Shape& sampleShape);
  // Raw (unnormalised) features as floats, for fitting a Preprocessing.
  std::vector<float> rawFeatures() const;
  // The first sample's first value: the memory batches are gathered from (a borrowed data set's
  // is the caller's own).
  const void* sampleMemory() const { return bytes_ ? static_cast<const void*>(bytes_) : floats_; }
  bool holdsBytes() const { return bytes_ != nullptr; }

  // Writes the samples at `indices`, normalised, into `input` ([n, sampleShape...], f32 or
  // bf16 as `input` holds: images go from bytes to bf16 in this one pass) and their labels
  // into `target` ([n], as floats; [n, targetWidth] for numeric targets). Both are resized in
  // place: no allocation once they have held a batch this large.
  void gather(std::span<const int64_t> indices, Tensor& input, Tensor& target) const;
  // Copies of a data set share its (immutable) samples. The first `count` samples (all when
  // count >= size), sharing nothing with this one.
  Dataset head(int64_t count) const;
  // Samples first, first + stride, ... (`count` of them), sharing nothing with this one; a rank's
  // shard of a data-parallel job. UsageError when they run past the end.
  Dataset slice(int64_t first, int64_t count, int64_t stride) const;
  // The samples at `indices`, in that order, sharing nothing with this one. UsageError for an
  // index out of range.
  Dataset select(std::span<const int64_t> indices) const;

 private:
  // A data set of `values` samples' values (checked against the shape and labels, `what` naming
  // the caller in errors) kept alive by `storage`; the caller points bytes_ or floats_ at them.
  static Dataset over(const char* what, Shape sampleShape, size_t values, std::vector<int32_t> labels,
                      int numClasses, std::shared_ptr<const void> storage);

  Shape sampleShape_;
  int64_t size_ = 0;
  int numClasses_ = 0;
  // The samples: uint8 (bytes_) or float (floats_), in memory that storage_ keeps alive (a vector
  // this data set made, or the owner of borrowed memory).
  std::shared_ptr<const void> storage_;
  const uint8_t* bytes_ = nullptr;
  const float* floats_ = nullptr;
  std::vector<int32_t> labels_;
  std::vector<float> targets_;  // size_ * targetWidth_ numeric targets, row by row
  int64_t targetWidth_ = 0;
  Preprocessing preprocessing_;
  int64_t shuffleBlock_ = 0;
};

}  // namespace shoal::data
