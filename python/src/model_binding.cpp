// Models from Python: built from JSON specs, run on numpy arrays, weights as views of the flat buffer, model files.
#include <cstdint>
#include <cstring>

#include <nlohmann/json.hpp>

#include "bindings.hpp"
#include "shoal/error.hpp"
#include "shoal/io/model_file.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/nn/model_spec.hpp"
#include "shoal/nn/model_summary.hpp"
#include "shoal/nn/random.hpp"
#include "shoal/nn/zoo.hpp"
#include "shoal/train/run_table.hpp"

namespace shoal::python {
namespace {

constexpr uintptr_t kAlignment = 64;  // what Tensor::borrowed needs

std::string arrayShape(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
  return s + (a.ndim() == 1 ? ",)" : ")");
}

// The batch shape [N, inputShape...] for `x`: its own per-sample shape when that is the model's,
// else the model's when the element counts agree (a [N, 784] batch for a [1, 28, 28] model).
Shape batchShapeFor(const py::array& x, const Shape& inputShape, const std::string& what) {
  if (x.ndim() < 1) throw ShapeError(what + ": expected a batch (an array of at least one dimension), got a scalar");
  int64_t perSample = 1;
  for (py::ssize_t i = 1; i < x.ndim(); ++i) perSample *= x.shape(i);
  if (perSample != inputShape.numel())
    throw ShapeError(what + ": an array of shape " + arrayShape(x) + " has samples of " +
                     std::to_string(perSample) + " values but the model takes samples of shape " +
                     inputShape.str() + " (" + std::to_string(inputShape.numel()) + " values)");
  return inputShape.withBatch(x.shape(0));
}

// The tensor for a batch: float32 arrays in C order on 64-byte boundaries are used in place;
// others are copied (integer arrays, for Embedding, as int64 or int32 tensors).
Tensor batchTensor(const py::array& x, const Shape& shape) {
  const bool contiguous = (x.flags() & py::array::c_style) != 0;
  if (x.dtype().is(py::dtype::of<float>())) {
    const float* data = static_cast<const float*>(x.data());
    if (contiguous && reinterpret_cast<uintptr_t>(data) % kAlignment == 0)
      return Tensor::borrowed(shape, const_cast<float*>(data));
    Tensor t(shape);
    py::array_t<float, py::array::c_style | py::array::forcecast> c(x);
    std::memcpy(t.data(), c.data(), sizeof(float) * static_cast<size_t>(shape.numel()));
    return t;
  }
  if (x.dtype().is(py::dtype::of<int64_t>()) || x.dtype().is(py::dtype::of<int32_t>())) {
    const bool wide = x.dtype().is(py::dtype::of<int64_t>());
    Tensor t(shape, wide ? DType::I64 : DType::I32);
    py::array c = py::array::ensure(x, py::array::c_style);
    std::memcpy(t.bytes(), c.data(), t.elementSize() * static_cast<size_t>(shape.numel()));
    return t;
  }
  throw UsageError("forward: expected a float32 (or, for Embedding, int64 or int32) array, got " +
                   std::string(py::str(x.dtype())));
}

// A float32 array over `t`'s memory that keeps `owner` (the Python model) alive.
py::array viewOf(Tensor& t, py::handle owner) {
  std::vector<py::ssize_t> extents(t.shape().rank());
  for (size_t i = 0; i < extents.size(); ++i) extents[i] = t.dim(i);
  return py::array_t<float>(extents, t.data(), owner);
}

}  // namespace

py::array_t<float> copyOut(const Tensor& t) {
  std::vector<py::ssize_t> extents(t.shape().rank());
  for (size_t i = 0; i < extents.size(); ++i) extents[i] = t.dim(i);
  py::array_t<float> out(extents);
  std::vector<float> values;
  const float* from = nullptr;
  if (t.dtype() == DType::F32) {
    from = t.data();
  } else {
    values = t.toVector();
    from = values.data();
  }
  std::memcpy(out.mutable_data(), from, sizeof(float) * static_cast<size_t>(t.numel()));
  return out;
}

void bindModel(py::module_& m) {
  py::class_<ModelHandle, std::shared_ptr<ModelHandle>>(m, "ModelHandle",
      "A built model (module tree) and the per-sample input shape it was built for.")
      .def_property_readonly("input_shape", [](const ModelHandle& h) { return toList(h.inputShape); })
      .def_property_readonly("output_shape",
                             [](const ModelHandle& h) { return toList(h.module->outputShape(h.inputShape)); })
      .def("spec", [](const ModelHandle& h) { return h.module->spec().dump(); },
           "The model's JSON specification, as a string.")
      .def("type_name", [](const ModelHandle& h) { return h.module->typeName(); })
      .def("output_type", [](const ModelHandle& h) { return h.module->outputModule().typeName(); },
           "The type of the layer whose output is the model's output.")
      .def("forward",
           [](ModelHandle& h, const py::array& x) {
             Shape shape = batchShapeFor(x, h.inputShape, "forward");
             if (shape[0] == 0) {  // an empty batch has an empty output (the engine needs samples)
               std::vector<py::ssize_t> extents{0};
               for (int64_t e : toList(h.module->outputShape(h.inputShape))) extents.push_back(e);
               return py::array_t<float>(extents);
             }
             Tensor input = batchTensor(x, shape);
             const Tensor* output = nullptr;
             {
               py::gil_scoped_release release;
               output = &h.module->forward(input);
             }
             return copyOut(*output);
           },
           py::arg("x"), "Runs the model on a batch; returns a new float32 array.")
      .def("forward_inputs",
           [](ModelHandle& h, const std::vector<py::array>& xs) {
             if (static_cast<int>(xs.size()) != h.module->inputCount())
               throw UsageError("forward: the model takes " + std::to_string(h.module->inputCount()) +
                                " inputs, got " + std::to_string(xs.size()));
             std::vector<Tensor> tensors;
             for (const py::array& x : xs) {
               if (x.ndim() < 1 || x.ndim() > static_cast<py::ssize_t>(Shape::kMaxRank) || x.shape(0) == 0)
                 throw ShapeError("forward: every input must be a non-empty batch of at most " +
                                  std::to_string(Shape::kMaxRank) + " dimensions");
               std::vector<int64_t> extents(x.shape(), x.shape() + x.ndim());
               tensors.push_back(batchTensor(x, Shape(extents)));
             }
             std::vector<const Tensor*> inputs;
             for (const Tensor& t : tensors) inputs.push_back(&t);
             const Tensor* output = nullptr;
             {
               py::gil_scoped_release release;
               output = &h.module->forwardInputs(inputs);
             }
             return copyOut(*output);
           },
           py::arg("xs"), "Runs a model of several inputs on one batch per input.")
      .def("set_training", [](ModelHandle& h, bool training) { h.module->setTraining(training); },
           py::arg("training"))
      .def_property_readonly("training", [](const ModelHandle& h) { return h.module->isTraining(); })
      .def("parameter_count", [](ModelHandle& h) { return h.module->parameterCount(); })
      .def("parameters",
           [](py::object self) {
             ModelHandle& h = self.cast<ModelHandle&>();
             h.module->flatParameters();  // parameters become views of the flat buffer first
             std::vector<std::pair<std::string, py::array>> views;
             for (const nn::Parameter& p : h.module->parameters()) views.emplace_back(p.name, viewOf(*p.value, self));
             return views;
           },
           "(name, float32 view) per parameter, in walk order; the views share the flat buffer "
           "and keep the model alive.")
      .def("gradients",
           [](py::object self) {
             ModelHandle& h = self.cast<ModelHandle&>();
             h.module->flatParameters();
             std::vector<std::pair<std::string, py::array>> views;
             for (const nn::Parameter& p : h.module->parameters()) views.emplace_back(p.name, viewOf(*p.grad, self));
             return views;
           },
           "(name, float32 view) of each parameter's gradient.")
      .def("flat_parameters",
           [](py::object self) { return viewOf(self.cast<ModelHandle&>().module->flatParameters().values(), self); },
           "The whole flat parameter buffer as one float32 view.")
      .def("buffers",
           [](py::object self) {
             ModelHandle& h = self.cast<ModelHandle&>();
             std::vector<std::pair<std::string, py::array>> views;
             for (const nn::NamedBuffer& b : h.module->stateBuffers()) views.emplace_back(b.name, viewOf(*b.value, self));
             return views;
           },
           "(name, float32 view) of each state buffer (running statistics).")
      .def("reset",
           [](ModelHandle& h) { h.module->reset(nn::initGenerator()); },
           "Draws fresh initial values for every parameter from the seeded generator.")
      .def("summary",
           [](ModelHandle& h) { return nn::summarize(*h.module, h.inputShape).table(); },
           "The summary table: layers, output shapes, parameters and FLOPs.")
      .def("save",
           [](ModelHandle& h, const std::string& path, const std::string& info) {
             io::ModelInfo mi = io::modelInfoFromJson(nlohmann::json::parse(info), "model info");
             py::gil_scoped_release release;
             io::saveModel(path, *h.module, mi);
           },
           py::arg("path"), py::arg("info"), "Writes a model file; `info` is the JSON of input_shape, classes, preprocessing.");

  m.def("build_model",
        [](const std::string& spec, const std::vector<int64_t>& inputShape, const std::string& source) {
          auto h = std::make_shared<ModelHandle>();
          h->inputShape = toShape(inputShape);
          nlohmann::json j;
          try {
            j = nlohmann::json::parse(spec);
          } catch (const nlohmann::json::exception& e) {
            throw InputError(source + ": not JSON: " + e.what());
          }
          h->module = nn::buildModel(j, h->inputShape, source);
          return h;
        },
        py::arg("spec"), py::arg("input_shape"), py::arg("source") = "model spec",
        "Builds a model from its JSON specification for a per-sample input shape.");
  m.def("read_json_file", [](const std::string& path) { return nn::readJsonFile(path).dump(); },
        py::arg("path"), "A JSON file's contents (syntax errors name the line and column).");
  m.def("load_model",
        [](const std::string& path) {
          io::LoadedModel loaded;
          {
            py::gil_scoped_release release;
            loaded = io::loadModel(path);
          }
          auto h = std::make_shared<ModelHandle>();
          h->inputShape = loaded.info.inputShape;
          h->module = std::move(loaded.model);
          return std::make_pair(h, io::modelInfoToJson(loaded.info).dump());
        },
        py::arg("path"), "Loads a model file: (model, info JSON).");
  m.def("manual_seed", &nn::manualSeed, py::arg("seed"),
        "Reseeds the generator new layers draw their initial weights (and dropout seeds) from.");
  m.def("table_shape",
        [](const std::string& tableJson) {
          const auto schema = data::TableSchema::fromJson(nlohmann::json::parse(tableJson), "table");
          return py::make_tuple(schema.width(), schema.classes);
        },
        py::arg("table"), "A table schema's encoded row width and number of classes.");

  m.def("zoo_spec",
        [](const std::string& name, const std::vector<int64_t>& inputShape, int64_t classes,
           const std::vector<int64_t>& hidden, const std::vector<int64_t>& widths, const std::string& tableJson) {
          nn::ZooOptions options;
          if (!hidden.empty()) options.hidden = hidden;
          if (!widths.empty()) options.resnetWidths = widths;
          if (!tableJson.empty())
            options.table = train::tableInput(data::TableSchema::fromJson(nlohmann::json::parse(tableJson), "table"));
          return nn::zooSpec(name, toShape(inputShape), classes, options).dump();
        },
        py::arg("name"), py::arg("input_shape"), py::arg("classes"), py::arg("hidden"), py::arg("widths"),
        py::arg("table") = "",
        "The JSON specification of a zoo model; `table` (a table schema's JSON) lays out tabular's rows.");
}

}  // namespace shoal::python
