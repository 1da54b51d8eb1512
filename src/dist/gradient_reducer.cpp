// Summing gradient ranges over ranks uncompressed, in bf16 or threshold-encoded (codes gathered from every rank).
#include "shoal/dist/gradient_reducer.hpp"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <string>

#include "shoal/backend/vector_kernels.hpp"
#include "shoal/error.hpp"

namespace shoal::dist {

Compression parseCompression(const std::string& name) {
  if (name == "none") return Compression::None;
  if (name == "bf16") return Compression::Bf16;
  if (name == "threshold") return Compression::Threshold;
  throw ConfigError("dist.compress", "\"dist.compress\": expected none, bf16 or threshold, got '" + name + "'");
}

std::string compressionName(Compression c) {
  switch (c) {
    case Compression::None: return "none";
    case Compression::Bf16: return "bf16";
    case Compression::Threshold: return "threshold";
  }
  return "?";
}

GradientReducer::GradientReducer(Communicator& comm, Compression compression, int64_t count,
                                 double density, double momentum)
    : comm_(comm), compression_(compression) {
  if (compression_ == Compression::Threshold) {
    encoder_.emplace(count, density, momentum);
    lengths_.resize(static_cast<size_t>(comm.size()));
    if (momentum > 0) {
      if (count >= std::numeric_limits<int32_t>::max())
        throw UsageError("threshold compression's momentum correction: " + std::to_string(count) +
                         " parameters, at most 2^31 - 2 (its codes are int32)");
      correctsMomentum_ = true;
      update_.momentum = momentum;
      // room for 4 times the target density's codes from every rank (steady steps allocate nothing)
      update_.codes.reserve(static_cast<size_t>(4 * density * static_cast<double>(count)) *
                                static_cast<size_t>(comm.size()) + 1024);
    }
  }
  if (compression_ == Compression::Bf16) bf16_.resize(static_cast<size_t>(count));
}

void GradientReducer::startStep() {
  update_.codes.clear();
  if (encoder_) encoder_->resetFiniteCheck();
}

void GradientReducer::reduce(std::span<float> grads, int64_t offset, float scale) {
  stepOffered_ += static_cast<double>(grads.size()) * comm_.size();
  switch (compression_) {
    case Compression::None:
      if (scale != 1.0f)
        for (float& g : grads) g *= scale;
      comm_.allReduce(grads, ReduceOp::Sum);
      stepSent_ += static_cast<double>(grads.size()) * comm_.size();
      return;
    case Compression::Bf16:
      reduceBf16(grads, scale);
      stepSent_ += static_cast<double>(grads.size()) * comm_.size();
      return;
    case Compression::Threshold: return reduceThreshold(grads, offset, scale);
  }
}

void GradientReducer::reduceBf16(std::span<float> grads, float scale) {
  bfloat16* wire = bf16_.data();
  float* g = grads.data();
  const size_t n = grads.size();
  backend::roundToBf16(g, wire, static_cast<int64_t>(n), scale);  // this rank's share, in the same pass
  comm_.allReduceBf16(std::span<bfloat16>(wire, n));
#pragma omp simd
  for (size_t i = 0; i < n; ++i) g[i] = bfloat16ToFloat(wire[i].bits);
}

void GradientReducer::reduceThreshold(std::span<float> grads, int64_t offset, float scale) {
  ThresholdEncoder& encoder = *encoder_;
  // room for this range's worst case (every element sent kMaxQuanta times, by every rank): only
  // the first step with the largest range grows it, so steady-state steps allocate nothing
  const size_t room = grads.size() * static_cast<size_t>(comm_.size()) * ThresholdEncoder::kMaxQuanta;
  if (gathered_.size() < room) gathered_.resize(room);
  codes_.reserve(grads.size() * ThresholdEncoder::kMaxQuanta);
  codes_.clear();
  // without momentum correction the range starts over at 0 for the decoded sum
  if (encoder.threshold() == 0) {
    // first step: the mean over ranks of each rank's choice for the target density
    double proposed = encoder.addAndProposeThreshold(grads, offset, scale);
    comm_.allReduce(std::span<double>(&proposed, 1), ReduceOp::Sum);
    encoder.setThreshold(std::max(std::numeric_limits<float>::min(),
                                  static_cast<float>(proposed / comm_.size())));
    encoder.encode(offset, static_cast<int64_t>(grads.size()), codes_);
    if (!correctsMomentum_) std::fill(grads.begin(), grads.end(), 0.0f);
  } else if (correctsMomentum_) {
    encoder.addAndEncode(grads, offset, codes_, scale);
  } else {
    encoder.addEncodeAndRestart(grads, offset, codes_, scale);
  }
  comm_.allGatherBytesInto(std::as_bytes(std::span<const int32_t>(codes_)),
                           std::as_writable_bytes(std::span<int32_t>(gathered_)), lengths_);
  size_t at = 0;  // in codes: every rank's bytes are whole codes
  for (int64_t bytes : lengths_) {
    if (bytes % static_cast<int64_t>(sizeof(int32_t)) != 0)
      throw Error("threshold decoding: a rank sent " + std::to_string(bytes) +
                  " bytes, not a whole number of codes");
    const size_t n = static_cast<size_t>(bytes) / sizeof(int32_t);
    const std::span<const int32_t> codes = std::span<const int32_t>(gathered_).subspan(at, n);
    if (correctsMomentum_)
      appendToUpdate(codes, offset, static_cast<int64_t>(grads.size()));
    else
      encoder.decodeAdd(codes, grads);
    stepSent_ += static_cast<double>(n);
    at += n;
  }
  update_.unit = encoder.threshold();
}

void GradientReducer::appendToUpdate(std::span<const int32_t> codes, int64_t offset, int64_t length) {
  const auto shift = static_cast<int32_t>(offset);
  for (int32_t code : codes) {
    if (code == 0 || std::abs(static_cast<int64_t>(code)) > length)
      throw Error("threshold decoding: code " + std::to_string(code) + " outside a range of " +
                  std::to_string(length) + " elements");
    update_.codes.push_back(code > 0 ? code + shift : code - shift);
  }
}

void GradientReducer::restoreThreshold(std::span<const float> residual, std::span<const float> velocity,
                                       float threshold) {
  if (!encoder_) throw UsageError("GradientReducer::restoreThreshold: the compression is " +
                                  compressionName(compression_) + ", not threshold");
  encoder_->restore(residual, velocity, threshold);
}

void GradientReducer::finishStep() {
  if (encoder_) {
    update_.finite = encoder_->addedFinite();
    encoder_->adapt(stepSent_, stepOffered_);
  }
  stats_.offeredElements += stepOffered_;
  stats_.sentElements += stepSent_;
  stepOffered_ = stepSent_ = 0;
}

}  // namespace shoal::dist
