// The process-wide oneDNN CPU engine and stream that every CPU primitive runs on.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

namespace shoal::backend::cpu {

dnnl::engine& engine();
dnnl::stream& stream();

}  // namespace shoal::backend::cpu
