// oneDNN engine/stream singletons.
#include "engine.hpp"

namespace shoal::backend::cpu {

dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::stream& stream() {
  static dnnl::stream s(engine());
  return s;
}

}  // namespace shoal::backend::cpu
