// Preprocessing: the per-feature affine map y = (x - offset) * scale applied to raw sample values.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace shoal::data {

// offset and scale hold one value per feature, or one value for all features.
// It travels in the model file so eval and predict normalise exactly as training did.
struct Preprocessing {
  std::vector<float> offset{0.0f};
  std::vector<float> scale{1.0f};

  // x / 255 (IDX images).
  static Preprocessing pixelScale();
  // Maps each feature's [min, max] over `features` (rows of `width`) to [0, 1].
  static Preprocessing minMax(const std::vector<float>& features, int64_t width);
  // Subtracts each feature's mean and divides by its standard deviation over `features`.
  static Preprocessing standardize(const std::vector<float>& features, int64_t width);

  // Each of offset and scale is indexed by `feature` unless it holds a single value.
  float apply(float x, int64_t feature) const {
    size_t f = static_cast<size_t>(feature);
    return (x - offset[offset.size() == 1 ? 0 : f]) * scale[scale.size() == 1 ? 0 : f];
  }
  // True when both vectors hold a single value (the same map for every feature).
  bool broadcast() const { return offset.size() == 1 && scale.size() == 1; }
  // Throws UsageError when the vectors are empty, their lengths fit neither 1 nor `width`
  // features, or a value is not finite.
  void check(int64_t width) const;

  nlohmann::json toJson() const;
  static Preprocessing fromJson(const nlohmann::json& j);
};

}  // namespace shoal::data
