// Resolving "class_weight" into one weight per class: none, balanced over all ranks' labels, or a given list.
#include "shoal/train/class_weights.hpp"

#include <charconv>

#include "shoal/error.hpp"

namespace shoal::train {
namespace {

[[noreturn]] void malformed(const std::string& spec, const std::string& why) {
  throw ConfigError("class_weight", "\"class_weight\": expected none, balanced or a list of weights "
                                    "w0,w1,... (" + why + "), got '" + spec + "'");
}

std::vector<float> parseWeights(const std::string& spec) {
  std::vector<float> weights;
  size_t at = 0;
  while (at <= spec.size()) {
    const size_t comma = std::min(spec.find(',', at), spec.size());
    const char* begin = spec.data() + at;
    const char* end = spec.data() + comma;
    float w = 0;
    auto [ptr, ec] = std::from_chars(begin, end, w);
    if (ec != std::errc() || ptr != end) malformed(spec, std::string(1, '\'').append(begin, end).append("' is not a number"));
    if (!(w >= 0)) malformed(spec, "weights must not be negative");
    weights.push_back(w);
    at = comma + 1;
  }
  return weights;
}

}  // namespace

void checkClassWeightSpec(const std::string& spec) {
  if (spec != "none" && spec != "balanced") parseWeights(spec);
}

std::vector<float> classWeightsFor(const std::string& spec, std::span<const int32_t> labels, int64_t classes,
                                   dist::Communicator& comm) {
  if (spec == "none") return {};
  if (spec != "balanced") {
    std::vector<float> weights = parseWeights(spec);
    if (static_cast<int64_t>(weights.size()) != classes)
      throw ConfigError("class_weight", "\"class_weight\": " + std::to_string(weights.size()) +
                                            " weights for " + std::to_string(classes) + " classes");
    return weights;
  }
  std::vector<double> counts(static_cast<size_t>(classes), 0.0);
  for (int32_t label : labels)
    if (label >= 0 && label < classes) counts[label] += 1;
  comm.allReduce(std::span<double>(counts), dist::ReduceOp::Sum);
  double total = 0;
  for (double c : counts) total += c;
  std::vector<float> weights;
  for (int64_t c = 0; c < classes; ++c) {
    if (counts[c] == 0)
      throw UsageError("class_weight balanced: class " + std::to_string(c) + " has no training sample");
    weights.push_back(static_cast<float>(total / (static_cast<double>(classes) * counts[c])));
  }
  return weights;
}

}  // namespace shoal::train
