// SGD step: one fused pass over parameters, gradients and the momentum buffer, on every core, vectorised.
#include "shoal/optim/sgd.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

#include "shoal/backend/vector_kernels.hpp"
#include "shoal/error.hpp"

namespace shoal::optim {
namespace {

constexpr int64_t kParallelFrom = 1 << 16;  // shorter buffers stay on the calling thread
constexpr int32_t kCodeSplit = 4096;  // a saved sparse code's two exact floats: high x 4096 + low

struct Coefficients {
  float lr, momentum, dampened, weightDecay;  // dampened = 1 - dampening
};

// The passes' updates read their coefficients from locals and their arrays through restrict
// pointers: otherwise the compiler reloads the coefficients after every store (they might alias
// the parameters) and runs the loop's scalar version. The passes return whether every g[i] was finite: g - g is 0 for a finite g, NaN otherwise,
// summed on the way (no second pass over the gradients). They run over stretches of kChunk
// parameters; with a bf16 copy `low`, each stretch is rounded into it right after its update,
// while it is still in cache (the same pass over memory, on AVX512-BF16's conversion).
constexpr int64_t kChunk = 1 << 12;

// Runs update(begin, end), which returns its sum of g - g, over [0, count) in stretches.
template <class Update>
bool stretches(float* p, bfloat16* low, int64_t count, Update update) {
  float nonFinite = 0.0f;
  const int64_t chunks = (count + kChunk - 1) / kChunk;
#pragma omp parallel for reduction(+ : nonFinite) if (count >= kParallelFrom)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t begin = c * kChunk, end = std::min(count, begin + kChunk);
    nonFinite += update(begin, end);
    if (low) backend::roundToBf16(p + begin, low + begin, end - begin);
  }
  return nonFinite == 0.0f;
}

// p, g: [count]; p -= lr * (g + wd * p)
bool plainPass(float* p, const float* g, bfloat16* low, int64_t count, Coefficients k) {
  return stretches(p, low, count, [=](int64_t begin, int64_t end) {
    float* __restrict params = p;
    const float* __restrict grads = g;
    const float lr = k.lr, weightDecay = k.weightDecay;
    float nonFinite = 0.0f;
#pragma omp simd reduction(+ : nonFinite)
    for (int64_t i = begin; i < end; ++i) {
      nonFinite += grads[i] - grads[i];
      params[i] -= lr * (grads[i] + weightDecay * params[i]);
    }
    return nonFinite;
  });
}

// p, g, b: [count]; the momentum update, with the buffer set to the gradient on the first step.
template <bool kFirst, bool kNesterov>
bool momentumPass(float* p, const float* g, float* b, bfloat16* low, int64_t count,
                  Coefficients k) {
  return stretches(p, low, count, [=](int64_t begin, int64_t end) {
    float* __restrict params = p;
    const float* __restrict grads = g;
    float* __restrict buffer = b;
    const float lr = k.lr, momentum = k.momentum, dampened = k.dampened, weightDecay = k.weightDecay;
    float nonFinite = 0.0f;
#pragma omp simd reduction(+ : nonFinite)
    for (int64_t i = begin; i < end; ++i) {
      nonFinite += grads[i] - grads[i];
      float d = grads[i] + weightDecay * params[i];
      float buf = kFirst ? d : momentum * buffer[i] + dampened * d;
      buffer[i] = buf;
      params[i] -= lr * (kNesterov ? d + momentum * buf : buf);
    }
    return nonFinite;
  });
}

// p, b: [count]; weight decay's part of the momentum buffer under a sparse step: b = m b + wd p,
// p -= lr b.
void decayPass(float* p, float* b, bfloat16* low, int64_t count, Coefficients k) {
  stretches(p, low, count, [=](int64_t begin, int64_t end) {
    float* __restrict params = p;
    float* __restrict buffer = b;
    const float lr = k.lr, momentum = k.momentum, weightDecay = k.weightDecay;
#pragma omp simd
    for (int64_t i = begin; i < end; ++i) {
      buffer[i] = momentum * buffer[i] + weightDecay * params[i];
      params[i] -= lr * buffer[i];
    }
    return 0.0f;
  });
}

void requireNonNegative(double value, const char* what) {
  if (!(value >= 0)) throw UsageError(std::string("SGD: ") + what + " must be non-negative, got " + std::to_string(value));
}

// b += unit at +(i + 1) codes' element i and -unit at -(i + 1) codes' (a sparse update), in order.
void addUpdate(const std::vector<int32_t>& codes, float unit, float* b) {
  for (int32_t code : codes) b[std::abs(code) - 1] += code > 0 ? unit : -unit;
}

}  // namespace

SGD::SGD(Options o, std::shared_ptr<LearningRateSchedule> schedule)
    : options_(o), schedule_(std::move(schedule)) {
  requireNonNegative(o.lr, "learning rate");
  requireNonNegative(o.momentum, "momentum");
  requireNonNegative(o.dampening, "dampening");
  requireNonNegative(o.weightDecay, "weight decay");
  if (o.nesterov && (o.momentum <= 0 || o.dampening != 0))
    throw UsageError("SGD: Nesterov momentum needs momentum > 0 and dampening 0 (got momentum " +
                     std::to_string(o.momentum) + ", dampening " + std::to_string(o.dampening) + ")");
}

double SGD::currentLearningRate() const {
  return scheduledRate(schedule_.get(), options_.lr, iteration_, epoch_);
}

float SGD::step(Tensor& params, Tensor& grads, const Closure& closure) {
  float loss = closure();
  if (params.numel() != grads.numel())
    throw ShapeError("SGD: parameters " + params.shape().str() + " and gradients " + grads.shape().str() +
                     " differ in size");
  Coefficients k{static_cast<float>(currentLearningRate()), static_cast<float>(options_.momentum),
                 static_cast<float>(1.0 - options_.dampening), static_cast<float>(options_.weightDecay)};
  int64_t count = params.numel();
  float* p = params.data();
  const float* g = grads.data();
  bfloat16* low = lowPrecisionFor(count);
  if (options_.momentum == 0) {
    gradientsFinite_ = plainPass(p, g, low, count, k);
  } else {
    bool first = !momentumBuffer_.defined();
    if (first) momentumBuffer_ = Tensor(params.shape());
    if (momentumBuffer_.numel() != count)
      throw ShapeError("SGD: momentum buffer holds " + std::to_string(momentumBuffer_.numel()) +
                       " values but the parameters " + std::to_string(count));
    float* b = momentumBuffer_.data();
    if (bufferPending_) addUpdate(bufferCodes_, bufferUnit_, b);
    auto pass = first ? (options_.nesterov ? momentumPass<true, true> : momentumPass<true, false>)
                      : (options_.nesterov ? momentumPass<false, true> : momentumPass<false, false>);
    gradientsFinite_ = pass(p, g, b, low, count, k);
  }
  bufferSparse_ = false;
  bufferPending_ = false;
  ++iteration_;
  return loss;
}

float SGD::stepBySparseUpdate(Tensor& params, const Closure& closure, const SparseUpdate& update) {
  if (!(options_.momentum > 0) || options_.dampening != 0 || options_.nesterov)
    throw UsageError("SGD: a sparse update is the step of momentum correction, which needs momentum > 0, "
                     "dampening 0 and no Nesterov");
  if (update.momentum != options_.momentum)
    throw UsageError("SGD: the sparse update applied momentum " + std::to_string(update.momentum) + ", this SGD's is " +
                     std::to_string(options_.momentum));
  float loss = closure();
  const int64_t count = params.numel();
  for (int32_t code : update.codes)
    if (code == 0 || std::abs(static_cast<int64_t>(code)) > count)
      throw UsageError("SGD: sparse update code " + std::to_string(code) + " outside " + std::to_string(count) +
                       " parameters");
  if (!momentumBuffer_.defined()) {
    momentumBuffer_ = Tensor(params.shape());
    std::fill(momentumBuffer_.data(), momentumBuffer_.data() + count, 0.0f);
    bufferCodes_.clear();
    bufferSparse_ = true;
    bufferPending_ = false;
  }
  if (momentumBuffer_.numel() != count)
    throw ShapeError("SGD: momentum buffer holds " + std::to_string(momentumBuffer_.numel()) +
                     " values but the parameters " + std::to_string(count));
  const float lr = static_cast<float>(currentLearningRate());
  float* p = params.data();
  float* b = momentumBuffer_.data();
  bfloat16* low = lowPrecisionFor(count);
  // b = G_{t-1} + D_{t-1} becomes G_t + D_t: G the update, sparse; D weight decay's part, dense,
  // D_t = m D_{t-1} + wd p (0 without weight decay), as SGD's b = m b + g + wd p would give;
  // without weight decay b stays 0 and G_t pending in bufferCodes_
  const bool decays = options_.weightDecay != 0;
  if (!decays) {
    if (!bufferSparse_)
      std::fill(b, b + count, 0.0f);
    else if (!bufferPending_)
      for (int32_t code : bufferCodes_) b[std::abs(code) - 1] = 0.0f;
  } else {
    // without the last update's codes (after a dense step, or state saved without them) all of b
    // counts as D
    if (bufferSparse_)
      addUpdate(bufferCodes_, -bufferUnit_, b);
    decayPass(p, b, low, count,
              {lr, static_cast<float>(options_.momentum), 1.0f, static_cast<float>(options_.weightDecay)});
    addUpdate(update.codes, update.unit, b);
  }
  for (int32_t code : update.codes) {
    const int32_t i = std::abs(code) - 1;
    p[i] -= lr * (code > 0 ? update.unit : -update.unit);
    if (low) low[i] = bfloat16(p[i]);
  }
  // as much room as the update's (steady steps allocate nothing)
  if (bufferCodes_.capacity() < update.codes.capacity()) bufferCodes_.reserve(update.codes.capacity());
  bufferCodes_.assign(update.codes.begin(), update.codes.end());
  bufferUnit_ = update.unit;
  bufferSparse_ = true;
  bufferPending_ = !decays;
  gradientsFinite_ = update.finite;
  ++iteration_;
  return loss;
}

bool SGD::lastGradientsFinite(const Tensor&) const { return gradientsFinite_; }

nlohmann::json SGD::config() const {
  return {{"name", name()},
          {"lr", options_.lr},
          {"momentum", options_.momentum},
          {"dampening", options_.dampening},
          {"nesterov", options_.nesterov},
          {"weightDecay", options_.weightDecay},
          {"schedule", schedule_ ? schedule_->config() : nlohmann::json(nullptr)}};
}

OptimState SGD::saveState() const {
  OptimState state = OptimMethod::saveState();
  state.scalars["momentum_buffer"] = momentumBuffer_.defined();
  if (momentumBuffer_.defined()) {
    state.scalars["parameters"] = momentumBuffer_.numel();
    Tensor buffer = momentumBuffer_.clone();
    if (bufferPending_) addUpdate(bufferCodes_, bufferUnit_, buffer.data());
    state.tensors.emplace_back("momentum_buffer", std::move(buffer));
  }
  // after a sparse step with weight decay, the next one needs the last update to tell it from
  // the decay's part of the buffer; each code as two floats that hold it exactly (checkpoints
  // keep float32 blocks): code = high x 4096 + low. Saved only after a sparse step.
  if (bufferSparse_) {
    state.scalars["sparse_unit"] = bufferUnit_;
    state.scalars["sparse_code_count"] = bufferCodes_.size();
    Tensor codes(Shape{static_cast<int64_t>(bufferCodes_.size()), 2});
    for (size_t i = 0; i < bufferCodes_.size(); ++i) {
      const int32_t high = bufferCodes_[i] / kCodeSplit;
      codes.data()[2 * i] = static_cast<float>(high);
      codes.data()[2 * i + 1] = static_cast<float>(bufferCodes_[i] - high * kCodeSplit);
    }
    state.tensors.emplace_back("sparse_codes", std::move(codes));
  }
  return state;
}

void SGD::restoreState(const OptimState& state) {
  OptimMethod::restoreState(state);
  if (stateScalar<bool>(state, "momentum_buffer"))
    momentumBuffer_ = stateTensor(state, "momentum_buffer", stateScalar<int64_t>(state, "parameters")).clone();
  else
    momentumBuffer_ = Tensor();
  // state saved after a dense step, or before sparse steps existed, has no sparse update
  bufferSparse_ = state.scalars.contains("sparse_unit") && momentumBuffer_.defined();
  bufferCodes_.clear();
  bufferPending_ = false;
  if (bufferSparse_) {
    bufferUnit_ = stateScalar<float>(state, "sparse_unit");
    const int64_t count = stateScalar<int64_t>(state, "sparse_code_count");
    const float* codes = stateTensor(state, "sparse_codes", 2 * count).data();
    for (int64_t i = 0; i < count; ++i) {
      const double code = static_cast<double>(codes[2 * i]) * kCodeSplit + codes[2 * i + 1];
      if (code != std::trunc(code) || code == 0 || std::fabs(code) > static_cast<double>(momentumBuffer_.numel()))
        throw InputError("optimiser state: SGD's sparse code " + std::to_string(code) + " is not one of " +
                         std::to_string(momentumBuffer_.numel()) + " parameters");
      bufferCodes_.push_back(static_cast<int32_t>(code));
    }
  }
}

}  // namespace shoal::optim
