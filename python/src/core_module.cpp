// shoal._core: the compiled half of the Python package (python/shoal wraps it).
#include "bindings.hpp"

#include "shoal/version.hpp"

PYBIND11_MODULE(_core, m) {
  using namespace shoal::python;
  m.doc() = "shoal's engine, bound for the Python package (use shoal, not shoal._core)";
  m.def("version", &shoal::version, "The library's version, e.g. \"0.1.0\".");
  bindErrors(m);
  bindModel(m);
  bindData(m);
  bindCriterion(m);
  bindTraining(m);
  bindSteps(m);
  bindDist(m);
}
