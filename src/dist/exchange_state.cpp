// Threshold compression's state in checkpoints: every rank's residual gathered to rank 0, and this rank's put back on resume.
#include "shoal/dist/exchange_state.hpp"

#include <cstring>
#include <span>

#include "shoal/error.hpp"

namespace shoal::dist {
namespace {

std::string rankTensor(int rank, const char* what) { return "rank" + std::to_string(rank) + "." + what; }

Tensor copyOf(std::span<const float> values) {
  Tensor t(Shape{static_cast<int64_t>(values.size())});
  std::memcpy(t.data(), values.data(), values.size_bytes());
  return t;
}

// The saved tensor `name`, as floats; InputError naming the checkpoint when absent or of another size.
std::span<const float> savedFloats(const ExchangeState& saved, const std::string& name, int64_t elements,
                                   const std::string& path) {
  for (const auto& [tensorName, t] : saved.tensors)
    if (tensorName == name) {
      if (t.dtype() != DType::F32 || t.numel() != elements)
        throw InputError(path + ": corrupt checkpoint: threshold compression's \"" + name + "\" holds " +
                         std::to_string(t.numel()) + " values, the header says " + std::to_string(elements));
      return {t.data(), static_cast<size_t>(elements)};
    }
  throw InputError(path + ": corrupt checkpoint: threshold compression's \"" + name + "\" is missing");
}

}  // namespace

ExchangeState gatherExchangeState(Communicator& comm, const GradientReducer* reducer) {
  ExchangeState state;
  const ThresholdEncoder* encoder = reducer ? reducer->encoder() : nullptr;
  if (!encoder) return state;
  const std::span<const float> residual = encoder->residual(), velocity = encoder->velocity();
  state.description = {{"compression", "threshold"},
                       {"ranks", comm.size()},
                       {"elements", residual.size()},
                       {"momentum", encoder->momentum()},
                       {"threshold", encoder->threshold()}};
  // this rank's residual then velocity, one all-gather (every rank's are the same size)
  std::vector<float> mine(residual.begin(), residual.end());
  mine.insert(mine.end(), velocity.begin(), velocity.end());
  std::vector<std::vector<std::byte>> all = comm.allGatherBytes(std::as_bytes(std::span<const float>(mine)));
  if (comm.rank() != 0) return state;
  for (int r = 0; r < comm.size(); ++r) {
    const auto* floats = reinterpret_cast<const float*>(all[static_cast<size_t>(r)].data());
    state.tensors.emplace_back(rankTensor(r, "residual"), copyOf({floats, residual.size()}));
    if (!velocity.empty())
      state.tensors.emplace_back(rankTensor(r, "velocity"), copyOf({floats + residual.size(), velocity.size()}));
  }
  return state;
}

std::string restoreExchangeState(const ExchangeState& saved, const std::string& path, Communicator& comm,
                                 GradientReducer* reducer) {
  const ThresholdEncoder* encoder = reducer ? reducer->encoder() : nullptr;
  if (saved.description.is_null()) return "";
  int ranks = 0;
  int64_t elements = 0;
  double momentum = 0, threshold = 0;
  try {
    if (saved.description.at("compression") != "threshold")
      throw InputError(path + ": corrupt checkpoint: the gradient exchange's state is of compression " +
                       saved.description.at("compression").dump());
    ranks = saved.description.at("ranks").get<int>();
    elements = saved.description.at("elements").get<int64_t>();
    momentum = saved.description.at("momentum").get<double>();
    threshold = saved.description.at("threshold").get<double>();
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path + ": corrupt checkpoint header: the gradient exchange's state: " + e.what());
  }
  if (!(threshold >= 0) || !(momentum >= 0 && momentum < 1) || ranks < 1 || elements < 0)
    throw InputError(path + ": corrupt checkpoint header: the gradient exchange's state " + saved.description.dump());
  const std::string dropped = "threshold compression's unsent residuals" +
                              std::string(momentum > 0 ? " and velocities" : "") + " of " +
                              std::to_string(ranks) + " ranks in " + path + " are dropped";
  if (!encoder)
    return dropped + ": this run's compression is " + compressionName(reducer ? reducer->compression() : Compression::None);
  std::string differs;
  if (ranks != comm.size())
    differs = "this job has " + std::to_string(comm.size()) + " ranks";
  else if (elements != static_cast<int64_t>(encoder->residual().size()))
    differs = "this model's gradient has " + std::to_string(encoder->residual().size()) + " elements, the checkpoint's " +
              std::to_string(elements);
  else if (momentum != encoder->momentum())
    differs = "this run's momentum correction is " + std::to_string(encoder->momentum()) + ", the checkpoint's " +
              std::to_string(momentum);
  if (!differs.empty()) return dropped + " (" + differs + "): they start from zero";
  const bool withVelocity = momentum > 0;
  // every rank checks every rank's tensors, so that a damaged file stops them all alike
  for (int q = 0; q < ranks; ++q) {
    savedFloats(saved, rankTensor(q, "residual"), elements, path);
    if (withVelocity) savedFloats(saved, rankTensor(q, "velocity"), elements, path);
  }
  const int r = comm.rank();
  reducer->restoreThreshold(savedFloats(saved, rankTensor(r, "residual"), elements, path),
                            withVelocity ? savedFloats(saved, rankTensor(r, "velocity"), elements, path)
                                         : std::span<const float>(),
                            static_cast<float>(threshold));
  return "";
}

}  // namespace shoal::dist
