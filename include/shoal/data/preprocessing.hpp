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

  float apply(float x, int64_t feature) const {
    size_t i = offset.size() == 1 ? 0 : static_cast<size_t>(feature);
    return (x - offset[i]) * scale[offset.size() == 1 ? 0 : i];
  }
  // Throws Error when the vectors' lengths fit neither 1 nor `width` features.
  void check(int64_t width) const;

  nlohmann::json toJson() const;
  static Preprocessing fromJson(const nlohmann::json& j);
};

}  // namespace shoal::data
