// Binding plain tensors to oneDNN: fixed-argument executions, cached reorders, a shape cache.
#pragma once
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <utility>
#include <vector>

#include "shoal/tensor/tensor.hpp"

namespace shoal::backend::cpu {

// oneDNN's data type for a tensor element type (f32 or bf16; UsageError for the others).
dnnl::memory::data_type dnnlType(DType dtype);
// A row-major descriptor (nchw, oihw, x, ...) of `dtype` elements for `dims`.
dnnl::memory::desc plainDesc(const dnnl::memory::dims& dims, DType dtype = DType::F32);
// The descriptor of a tensor's elements in `layout` (plain, or nhwc for a channels-last
// [N, C, H, W]).
dnnl::memory::desc tensorDesc(const dnnl::memory::dims& dims, DType dtype, Layout layout);
// A descriptor of `dtype` elements that lets the primitive choose the layout.
dnnl::memory::desc anyDesc(const dnnl::memory::dims& dims, DType dtype = DType::F32);
// Attributes with a user-provided scratchpad, so that primitives never allocate while running.
dnnl::primitive_attr userScratchpad();
// Points `m` (a plain memory) at the elements of `t`, whatever their type; oneDNN only reads
// inputs.
void bind(const dnnl::memory& m, const Tensor& t);

// A primitive with its arguments fixed at creation and its own scratchpad; run() executes it
// on stream() through the C API. A primitive whose arguments total less than kSerialBelowBytes
// runs on the calling thread alone: its work takes less time than waking the OpenMP team, and a
// training step runs dozens of such primitives (biases, small reorders, softmax of 10 classes).
class BoundPrimitive {
 public:
  BoundPrimitive() = default;
  BoundPrimitive(const dnnl::primitive_desc_base& pd,
                 std::vector<std::pair<int, dnnl::memory>> args);
  static constexpr size_t kSerialBelowBytes = 64 * 1024;

  void run() const;
  bool empty() const { return !primitive_; }
  bool serial() const { return serial_; }

 private:
  void execute() const;

  dnnl::primitive primitive_;
  bool serial_ = false;
  std::vector<dnnl::memory> memories_;  // keeps every argument alive
  std::vector<dnnl_exec_arg_t> args_;
};

// One argument of a primitive whose tensor is plain while the primitive may prefer another
// layout. The primitive uses inner(): the tensor's own memory when the layouts agree, otherwise
// a scratch reached by a cached reorder. Copies share the scratch and what it holds, so two
// primitives that want the same layout reorder a tensor only once.
class Staged {
 public:
  enum class Direction {
    In,         // tensor -> primitive
    Out,        // primitive -> tensor
    Accumulate  // primitive -> tensor, added to what the tensor holds (always staged)
  };

  Staged() = default;
  Staged(const dnnl::memory::desc& plain, const dnnl::memory::desc& inner, Direction direction);

  const dnnl::memory& inner() const { return inner_; }
  const dnnl::memory::desc& innerDesc() const { return innerDesc_; }
  // In: binds `t` and reorders it into the inner layout; the scratch now holds `t`.
  void load(const Tensor& t);
  // In: like load(), but skips the reorder when the scratch still holds `t` since the last
  // load() (the caller guarantees the elements have not changed since).
  void reuseOrLoad(const Tensor& t);
  // The scratch no longer holds a known tensor.
  void forget() { *held_ = nullptr; }
  // Out/Accumulate: binds `t` (before the primitive runs, which may write into it directly);
  // flush() (after it ran) moves or adds the primitive's result into `t`.
  void bindOutput(Tensor& t);
  void flush() const;

 private:
  dnnl::memory user_;
  dnnl::memory inner_;
  dnnl::memory::desc innerDesc_;
  BoundPrimitive reorder_;
  std::shared_ptr<const std::byte*> held_;
};

// The primitives of a layer for the few input shapes it sees (the training batch, a smaller
// last batch, the evaluation batch); the oldest entry is dropped beyond kCapacity.
template <class Entry>
class ShapeCache {
 public:
  static constexpr size_t kCapacity = 4;

  template <class Make>
  Entry& get(const Shape& shape, Make&& make) {
    for (auto& [s, e] : entries_)
      if (s == shape) return *e;
    if (entries_.size() == kCapacity) entries_.erase(entries_.begin());
    entries_.emplace_back(shape, std::make_unique<Entry>(make()));
    return *entries_.back().second;
  }

 private:
  std::vector<std::pair<Shape, std::unique_ptr<Entry>>> entries_;
};

}  // namespace shoal::backend::cpu
