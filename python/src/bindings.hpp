// The parts of the extension module shoal._core, each bound in its own file, and what they share.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "shoal/data/dataset.hpp"
#include "shoal/dist/communicator.hpp"
#include "shoal/nn/criterion.hpp"
#include "shoal/nn/module.hpp"
#include "shoal/tensor/shape.hpp"

namespace shoal::python {

namespace py = pybind11;

// A new float32 array holding a copy of `t`'s values (converted when `t` is not float32).
py::array_t<float> copyOut(const Tensor& t);

// A built model as Python holds it: the module tree and the per-sample input shape it was built for.
struct ModelHandle {
  std::shared_ptr<nn::Module> module;
  Shape inputShape;
};

// A data set over arrays (borrowed when their type and layout fit) or read by a reader.
struct DatasetHandle {
  data::Dataset data;
  bool borrowed = false;  // the features are the caller's array's own memory
};

// Keeps a Python object alive from C++ (released under the GIL, whichever thread lets go last).
std::shared_ptr<const void> keepAlive(py::object object);
// A per-sample shape from a Python sequence of extents.
Shape toShape(const std::vector<int64_t>& extents);
std::vector<int64_t> toList(const Shape& shape);
// The process's communicator: the MPI job's when launched by mpirun, else a single process.
std::shared_ptr<dist::Communicator> processCommunicator();
// A criterion by its BigDL name (ClassNLLCriterion, CrossEntropyCriterion, MSECriterion), the first
// two with optional per-class weights.
std::shared_ptr<nn::Criterion> makeCriterion(const std::string& type, bool sizeAverage,
                                             const std::vector<float>& weights = {});

void bindErrors(py::module_& m);
void bindModel(py::module_& m);
void bindData(py::module_& m);
void bindCriterion(py::module_& m);
void bindTraining(py::module_& m);
void bindSteps(py::module_& m);
void bindDist(py::module_& m);

}  // namespace shoal::python
