// Plain descriptors, allocation-free primitive execution, staged layouts.
#include "dnnl_binding.hpp"

#include <omp.h>
#include <oneapi/dnnl/dnnl_debug.h>

#include "engine.hpp"
#include "shoal/error.hpp"

namespace shoal::backend::cpu {

using dnnl::memory;

memory::data_type dnnlType(DType dtype) {
  switch (dtype) {
    case DType::F32: return memory::data_type::f32;
    case DType::BF16: return memory::data_type::bf16;
    default:
      throw UsageError("oneDNN operations take f32 or bf16 tensors, got " +
                       std::string(dtypeName(dtype)));
  }
}

memory::desc plainDesc(const memory::dims& dims, DType dtype) {
  memory::dims strides(dims.size(), 1);
  for (size_t i = dims.size(); i-- > 1;) strides[i - 1] = strides[i] * dims[i];
  return memory::desc(dims, dnnlType(dtype), strides);
}

memory::desc tensorDesc(const memory::dims& dims, DType dtype, Layout layout) {
  if (layout == Layout::ChannelsLast) return memory::desc(dims, dnnlType(dtype), memory::format_tag::nhwc);
  return plainDesc(dims, dtype);
}

memory::desc anyDesc(const memory::dims& dims, DType dtype) {
  return memory::desc(dims, dnnlType(dtype), memory::format_tag::any);
}

dnnl::primitive_attr userScratchpad() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

void bind(const memory& m, const Tensor& t) { m.set_data_handle(const_cast<std::byte*>(t.bytes())); }

BoundPrimitive::BoundPrimitive(const dnnl::primitive_desc_base& pd,
                               std::vector<std::pair<int, memory>> args)
    : primitive_(pd.get()) {
  size_t bytes = 0;
  for (const auto& [id, m] : args) bytes += m.get_desc().get_size();
  serial_ = bytes < kSerialBelowBytes;
  memory::desc scratchpad = pd.scratchpad_desc();
  if (scratchpad.get_size() > 0)
    args.emplace_back(DNNL_ARG_SCRATCHPAD, memory(scratchpad, engine()));
  for (auto& [id, m] : args) {
    args_.push_back({id, m.get()});
    memories_.push_back(std::move(m));
  }
}

void BoundPrimitive::run() const {
  if (!serial_) return execute();
  // oneDNN sizes its parallel sections by the calling thread's OpenMP thread count.
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  try {
    execute();
  } catch (...) {
    omp_set_num_threads(threads);
    throw;
  }
  omp_set_num_threads(threads);
}

void BoundPrimitive::execute() const {
  dnnl_status_t status = dnnl_primitive_execute(primitive_.get(), stream().get(),
                                                static_cast<int>(args_.size()), args_.data());
  if (status != dnnl_success)
    throw Error(
        "oneDNN: executing a " +
        std::string(dnnl_prim_kind2str(static_cast<dnnl_primitive_kind_t>(primitive_.get_kind()))) +
        " primitive failed with status " + std::to_string(status));
}

Staged::Staged(const memory::desc& plain, const memory::desc& inner, Direction direction)
    : user_(plain, engine(), nullptr), innerDesc_(inner), held_(std::make_shared<const std::byte*>()) {
  if (direction != Direction::Accumulate && plain == inner) {
    inner_ = user_;
    return;
  }
  inner_ = memory(inner, engine());
  dnnl::primitive_attr attr = userScratchpad();
  if (direction == Direction::Accumulate) {
    dnnl::post_ops sum;
    sum.append_sum(1.0f);
    attr.set_post_ops(sum);
  }
  if (direction == Direction::In)
    reorder_ = BoundPrimitive(dnnl::reorder::primitive_desc(engine(), plain, engine(), inner, attr),
                              {{DNNL_ARG_FROM, user_}, {DNNL_ARG_TO, inner_}});
  else
    reorder_ = BoundPrimitive(dnnl::reorder::primitive_desc(engine(), inner, engine(), plain, attr),
                              {{DNNL_ARG_FROM, inner_}, {DNNL_ARG_TO, user_}});
}

void Staged::load(const Tensor& t) {
  bind(user_, t);
  if (!reorder_.empty()) reorder_.run();
  *held_ = t.bytes();
}

void Staged::reuseOrLoad(const Tensor& t) {
  if (reorder_.empty() || *held_ != t.bytes()) return load(t);
}

void Staged::bindOutput(Tensor& t) { bind(user_, t); }

void Staged::flush() const {
  if (!reorder_.empty()) reorder_.run();
}

}  // namespace shoal::backend::cpu
