// Criteria from Python: ClassNLLCriterion, CrossEntropyCriterion and MSECriterion on numpy arrays.
#include <cstring>

#include "bindings.hpp"
#include "shoal/error.hpp"
#include "shoal/nn/class_nll_criterion.hpp"
#include "shoal/nn/cross_entropy_criterion.hpp"
#include "shoal/nn/mse_criterion.hpp"

namespace shoal::python {
namespace {

Tensor floatTensor(const py::array& a, const char* what) {
  py::array_t<float, py::array::c_style | py::array::forcecast> c(a);
  std::vector<int64_t> extents(c.shape(), c.shape() + c.ndim());
  if (extents.empty()) throw ShapeError(std::string(what) + ": expected an array, got a scalar");
  Tensor t{Shape(extents)};
  std::memcpy(t.data(), c.data(), sizeof(float) * static_cast<size_t>(t.numel()));
  return t;
}

}  // namespace

std::shared_ptr<nn::Criterion> makeCriterion(const std::string& type, bool sizeAverage,
                                             const std::vector<float>& weights) {
  const nn::Reduction r = sizeAverage ? nn::Reduction::Mean : nn::Reduction::Sum;
  for (float w : weights)
    if (!(w >= 0.0f)) throw UsageError(type + ": class weights must not be negative");
  if (type == "ClassNLLCriterion") return std::make_shared<nn::ClassNLLCriterion>(r, weights);
  if (type == "CrossEntropyCriterion") return std::make_shared<nn::CrossEntropyCriterion>(r, weights);
  if (!weights.empty()) throw UsageError(type + " takes no class weights");
  if (type == "MSECriterion") return std::make_shared<nn::MSECriterion>(r);
  throw UsageError("unknown criterion '" + type + "' (ClassNLLCriterion, CrossEntropyCriterion, MSECriterion)");
}

void bindCriterion(py::module_& m) {
  py::class_<nn::Criterion, std::shared_ptr<nn::Criterion>>(m, "CriterionHandle", "A loss and its gradient.")
      .def_property_readonly("type_name", &nn::Criterion::typeName)
      .def("forward",
           [](nn::Criterion& c, const py::array& input, const py::array& target) {
             Tensor in = floatTensor(input, "input"), t = floatTensor(target, "target");
             return c.forward(in, t);
           },
           py::arg("input"), py::arg("target"), "The loss of a batch of outputs against targets.")
      .def("backward",
           [](nn::Criterion& c, const py::array& input, const py::array& target) {
             Tensor in = floatTensor(input, "input"), t = floatTensor(target, "target");
             return copyOut(c.backward(in, t));
           },
           py::arg("input"), py::arg("target"), "The gradient of the loss with respect to `input`.");
  m.def("make_criterion", &makeCriterion, py::arg("type"), py::arg("size_average") = true,
        py::arg("weights") = std::vector<float>{},
        "A criterion by its BigDL name; ClassNLL and CrossEntropy take one weight per class.");
}

}  // namespace shoal::python
