// OptimMethod state: the counters every method shares and the checks behind restoring state.
#include "shoal/optim/optim_method.hpp"

#include "shoal/backend/vector_kernels.hpp"
#include "shoal/error.hpp"

namespace shoal::optim {

bool OptimMethod::lastGradientsFinite(const Tensor& grads) const {
  return backend::allFinite(grads.data(), grads.numel());
}

float OptimMethod::stepBySparseUpdate(Tensor&, const Closure&, const SparseUpdate&) {
  throw UsageError(name() + " cannot step by a sparse update (threshold compression's momentum correction is for "
                   "SGD with momentum)");
}

OptimState OptimMethod::saveState() const {
  OptimState state;
  state.scalars = {{"method", name()}, {"iteration", iteration_}, {"epoch", epoch_}};
  return state;
}

void OptimMethod::restoreState(const OptimState& state) {
  auto method = state.scalars.is_object() ? state.scalars.find("method") : state.scalars.end();
  std::string held = method != state.scalars.end() && method->is_string() ? method->get<std::string>() : "?";
  if (held != name())
    throw InputError("optimiser state: the checkpoint holds state of " + held + ", not " + name() +
                     " (resume with the optimisation method the run started with)");
  auto iteration = stateScalar<int64_t>(state, "iteration");
  auto epoch = stateScalar<int64_t>(state, "epoch");
  if (iteration < 0 || epoch < 0)
    throw InputError("optimiser state: " + name() + " has a negative iteration or epoch count");
  iteration_ = iteration;
  epoch_ = epoch;
}

const Tensor& OptimMethod::stateTensor(const OptimState& state, const std::string& tensorName,
                                       int64_t numel) const {
  for (const auto& [n, t] : state.tensors) {
    if (n != tensorName) continue;
    int64_t held = t.defined() ? t.numel() : 0;
    if (held != numel)
      throw InputError("optimiser state: " + name() + "'s tensor \"" + tensorName + "\" holds " +
                       std::to_string(held) + " values, expected " + std::to_string(numel));
    return t;
  }
  throw InputError("optimiser state: " + name() + "'s tensor \"" + tensorName + "\" is missing");
}

void OptimMethod::throwMissingScalar(const char* key) const {
  throw InputError("optimiser state: " + name() + "'s value \"" + key + "\" is missing or of the wrong type");
}

bfloat16* OptimMethod::lowPrecisionFor(int64_t count) const {
  if (!lowPrecision_) return nullptr;
  if (lowPrecision_->numel() != count)
    throw ShapeError(name() + ": the bf16 copy holds " + std::to_string(lowPrecision_->numel()) +
                     " values but the parameters " + std::to_string(count));
  return lowPrecision_->data<bfloat16>();
}

}  // namespace shoal::optim
