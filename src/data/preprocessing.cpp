// Preprocessing: fitting (pixel scale, min-max, standardisation), validation and JSON form.
#include "shoal/data/preprocessing.hpp"

#include <algorithm>
#include <cmath>

#include "shoal/error.hpp"

namespace shoal::data {
namespace {

// Checks that `features` is a whole number of rows of `width`; returns the row count.
int64_t rowsOf(const std::vector<float>& features, int64_t width, const char* what) {
  if (width <= 0)
    throw UsageError(std::string(what) + ": feature width must be positive, got " +
                     std::to_string(width));
  if (features.empty() || features.size() % static_cast<size_t>(width) != 0)
    throw UsageError(std::string(what) + ": " + std::to_string(features.size()) +
                     " values are not a positive whole number of rows of " + std::to_string(width) +
                     " features");
  return static_cast<int64_t>(features.size()) / width;
}

void checkVector(const std::vector<float>& v, int64_t width, const char* name) {
  if (v.size() != 1 && static_cast<int64_t>(v.size()) != width)
    throw UsageError(std::string("preprocessing: ") + name + " has " + std::to_string(v.size()) +
                     " values, expected 1 or " + std::to_string(width) + " (one per feature)");
  for (size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i]))
      throw UsageError(std::string("preprocessing: ") + name + "[" + std::to_string(i) +
                       "] is not finite");
}

std::vector<float> floatsFromJson(const nlohmann::json& j, const char* name) {
  const nlohmann::json& values = j.at(name);
  if (!values.is_array() || values.empty())
    throw InputError(std::string("preprocessing: \"") + name +
                     "\" must be a non-empty array of numbers");
  std::vector<float> out;
  out.reserve(values.size());
  for (const nlohmann::json& v : values) {
    if (!v.is_number())
      throw InputError(std::string("preprocessing: \"") + name + "\" holds " + v.dump() +
                       ", expected a number");
    out.push_back(v.get<float>());
  }
  return out;
}

}  // namespace

Preprocessing Preprocessing::pixelScale() { return {{0.0f}, {1.0f / 255.0f}}; }

Preprocessing Preprocessing::minMax(const std::vector<float>& features, int64_t width) {
  int64_t rows = rowsOf(features, width, "minMax");
  std::vector<float> lo(features.begin(), features.begin() + width);
  std::vector<float> hi = lo;
  for (int64_t r = 1; r < rows; ++r) {
    const float* row = features.data() + r * width;
    for (int64_t f = 0; f < width; ++f) {
      lo[f] = std::min(lo[f], row[f]);
      hi[f] = std::max(hi[f], row[f]);
    }
  }
  Preprocessing p{lo, std::vector<float>(width)};
  // A constant feature maps to 0.
  for (int64_t f = 0; f < width; ++f) p.scale[f] = hi[f] > lo[f] ? 1.0f / (hi[f] - lo[f]) : 1.0f;
  return p;
}

Preprocessing Preprocessing::standardize(const std::vector<float>& features, int64_t width) {
  int64_t rows = rowsOf(features, width, "standardize");
  std::vector<double> sum(width, 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t f = 0; f < width; ++f) sum[f] += features[r * width + f];
  std::vector<double> mean(width);
  for (int64_t f = 0; f < width; ++f) mean[f] = sum[f] / static_cast<double>(rows);
  // Two passes: the squared deviations from the mean do not cancel catastrophically.
  std::vector<double> squares(width, 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t f = 0; f < width; ++f) {
      double d = features[r * width + f] - mean[f];
      squares[f] += d * d;
    }
  Preprocessing p{std::vector<float>(width), std::vector<float>(width)};
  for (int64_t f = 0; f < width; ++f) {
    double sd = std::sqrt(squares[f] / static_cast<double>(rows));  // population deviation
    p.offset[f] = static_cast<float>(mean[f]);
    // A constant feature maps to 0.
    p.scale[f] = sd > 0.0 ? static_cast<float>(1.0 / sd) : 1.0f;
  }
  return p;
}

void Preprocessing::check(int64_t width) const {
  if (offset.empty() || scale.empty())
    throw UsageError("preprocessing: offset and scale must each hold at least one value");
  checkVector(offset, width, "offset");
  checkVector(scale, width, "scale");
}

nlohmann::json Preprocessing::toJson() const {
  return nlohmann::json{{"offset", offset}, {"scale", scale}};
}

Preprocessing Preprocessing::fromJson(const nlohmann::json& j) {
  if (!j.is_object())
    throw InputError("preprocessing: expected an object with \"offset\" and \"scale\", found " +
                     std::string(j.type_name()));
  return {floatsFromJson(j, "offset"), floatsFromJson(j, "scale")};
}

}  // namespace shoal::data
