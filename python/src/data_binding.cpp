// Data from Python: numpy arrays borrowed as data sets, and the IDX, CSV and configured readers giving arrays.
#include <cmath>
#include <cstring>
#include <utility>

#include <nlohmann/json.hpp>

#include "bindings.hpp"
#include "shoal/data/csv_reader.hpp"
#include "shoal/data/fashion_mnist.hpp"
#include "shoal/data/idx_reader.hpp"
#include "shoal/data/table_reader.hpp"
#include "shoal/error.hpp"
#include "shoal/train/run_config.hpp"
#include "shoal/train/run_data.hpp"
#include "shoal/train/run_table.hpp"

namespace shoal::python {
namespace {

// Labels as int32, checked: whole numbers in [0, classes); `y` may be any integer or float array
// of one label per sample.
// Numeric targets (regression) from y [N] or [N, K]: the values row by row, and K.
std::pair<std::vector<float>, int64_t> targetsFrom(const py::array& y, int64_t samples) {
  if (y.ndim() != 1 && y.ndim() != 2)
    throw ShapeError("y: expected numeric targets of shape (" + std::to_string(samples) + ",) or (" +
                     std::to_string(samples) + ", K), got an array of " + std::to_string(y.ndim()) + " dimensions");
  if (y.shape(0) != samples)
    throw ShapeError("y: " + std::to_string(y.shape(0)) + " targets for " + std::to_string(samples) + " samples in x");
  const char kind = y.dtype().kind();
  if (kind != 'i' && kind != 'u' && kind != 'f')
    throw UsageError("y: expected numeric targets, got an array of " + std::string(py::str(y.dtype())));
  py::array_t<float, py::array::c_style | py::array::forcecast> values(y);
  const int64_t width = y.ndim() == 2 ? y.shape(1) : 1;
  return {std::vector<float>(values.data(), values.data() + values.size()), width};
}

std::vector<int32_t> labelsFrom(const py::array& y, int64_t samples, int64_t classes) {
  if (y.ndim() != 1 && !(y.ndim() == 2 && y.shape(1) == 1))
    throw ShapeError("y: expected one label per sample (shape (" + std::to_string(samples) +
                     ",)), got an array of " + std::to_string(y.ndim()) + " dimensions");
  if (y.shape(0) != samples)
    throw ShapeError("y: " + std::to_string(y.shape(0)) + " labels for " + std::to_string(samples) +
                     " samples in x");
  const char kind = y.dtype().kind();
  if (kind != 'i' && kind != 'u' && kind != 'f' && kind != 'b')
    throw UsageError("y: expected integer class labels, got an array of " + std::string(py::str(y.dtype())));
  py::array_t<double, py::array::c_style | py::array::forcecast> values(y);
  const double* v = values.data();
  std::vector<int32_t> labels(static_cast<size_t>(samples));
  for (int64_t i = 0; i < samples; ++i) {
    if (v[i] != std::floor(v[i]))
      throw UsageError("y: label " + std::to_string(v[i]) + " of sample " + std::to_string(i) +
                       " is not a whole number (labels are class indices from 0)");
    if (v[i] < 0 || v[i] >= static_cast<double>(classes))
      throw UsageError("y: label " + std::to_string(static_cast<int64_t>(v[i])) + " of sample " +
                       std::to_string(i) + " is outside [0, " + std::to_string(classes) +
                       ") (the model has " + std::to_string(classes) + " classes; labels count from 0)");
    labels[static_cast<size_t>(i)] = static_cast<int32_t>(v[i]);
  }
  return labels;
}

// A uint8 or float32 array over the samples of a data set that keeps the data set alive.
py::array samplesOf(const std::shared_ptr<DatasetHandle>& h) {
  std::vector<py::ssize_t> extents{h->data.size()};
  for (size_t i = 0; i < h->data.sampleShape().rank(); ++i) extents.push_back(h->data.sampleShape()[i]);
  py::object owner = py::cast(h);
  if (h->data.holdsBytes())
    return py::array_t<uint8_t>(extents, static_cast<const uint8_t*>(h->data.sampleMemory()), owner);
  return py::array_t<float>(extents, static_cast<const float*>(h->data.sampleMemory()), owner);
}

py::object labelsOf(const data::Dataset& d) {
  if (!d.hasLabels()) return py::none();
  py::array_t<int32_t> y(static_cast<py::ssize_t>(d.labels().size()));
  std::memcpy(y.mutable_data(), d.labels().data(), sizeof(int32_t) * d.labels().size());
  return y;
}

py::tuple arraysOf(data::Dataset d) {
  auto h = std::make_shared<DatasetHandle>();
  py::object y = labelsOf(d);
  h->data = std::move(d);
  return py::make_tuple(samplesOf(h), y);
}

}  // namespace

std::shared_ptr<const void> keepAlive(py::object object) {
  auto* held = new py::object(std::move(object));
  return std::shared_ptr<const void>(held, [](const void* p) {
    auto* o = static_cast<py::object*>(const_cast<void*>(p));
    if (!Py_IsInitialized()) return;  // the interpreter is gone: nothing left to release
    py::gil_scoped_acquire gil;
    delete o;
  });
}

Shape toShape(const std::vector<int64_t>& extents) {
  if (extents.empty() || extents.size() >= Shape::kMaxRank)
    throw ShapeError("a per-sample shape needs 1 to " + std::to_string(Shape::kMaxRank - 1) +
                     " extents, got " + std::to_string(extents.size()));
  for (int64_t e : extents)
    if (e <= 0) throw ShapeError("shape extents must be positive, got " + std::to_string(e));
  return Shape(extents);
}

std::vector<int64_t> toList(const Shape& shape) {
  std::vector<int64_t> out;
  for (size_t i = 0; i < shape.rank(); ++i) out.push_back(shape[i]);
  return out;
}

void bindData(py::module_& m) {
  py::class_<DatasetHandle, std::shared_ptr<DatasetHandle>>(m, "DatasetHandle",
      "Samples (uint8 or float32) and labels as the engine reads them.")
      .def_property_readonly("size", [](const DatasetHandle& h) { return h.data.size(); })
      .def_property_readonly("sample_shape", [](const DatasetHandle& h) { return toList(h.data.sampleShape()); })
      .def_property_readonly("borrowed", [](const DatasetHandle& h) { return h.borrowed; },
                             "Whether the samples are the caller's array's own memory.")
      .def_property_readonly("sample_address",
                             [](const DatasetHandle& h) { return reinterpret_cast<uintptr_t>(h.data.sampleMemory()); },
                             "The address of the first sample's memory (what batches are gathered from).")
      .def_property_readonly("num_classes", [](const DatasetHandle& h) { return h.data.numClasses(); })
      .def("arrays", [](const std::shared_ptr<DatasetHandle>& h) {
             return py::make_tuple(samplesOf(h), labelsOf(h->data));
           }, "(x, y): the samples as an array over the data set's memory, and a copy of the labels.");

  m.def("dataset_from_arrays",
        [](const py::array& x, const py::object& y, int64_t classes, const std::string& preprocessing,
           bool numericTargets) {
          if (x.ndim() < 2)
            throw ShapeError("x: expected one row per sample (at least 2 dimensions), got shape with " +
                             std::to_string(x.ndim()) + " dimension(s)");
          std::vector<int64_t> extents(x.shape() + 1, x.shape() + x.ndim());
          const Shape sampleShape = toShape(extents);
          const int64_t n = x.shape(0);
          std::vector<int32_t> labels;
          if (!y.is_none() && !numericTargets) labels = labelsFrom(y.cast<py::array>(), n, classes);
          auto h = std::make_shared<DatasetHandle>();
          const bool contiguous = (x.flags() & py::array::c_style) != 0;
          const int numClasses = static_cast<int>(classes);
          if (x.dtype().is(py::dtype::of<uint8_t>())) {
            py::array c = contiguous ? x : py::array::ensure(x, py::array::c_style);
            h->borrowed = contiguous;
            h->data = data::Dataset::borrowBytes(sampleShape, static_cast<const uint8_t*>(c.data()), n,
                                                 std::move(labels), numClasses, keepAlive(c));
          } else {
            const bool asIs = contiguous && x.dtype().is(py::dtype::of<float>());
            py::array c = asIs ? x : py::array_t<float, py::array::c_style | py::array::forcecast>(x);
            h->borrowed = asIs;
            h->data = data::Dataset::borrowFloats(sampleShape, static_cast<const float*>(c.data()), n,
                                                  std::move(labels), numClasses, keepAlive(c));
          }
          if (!y.is_none() && numericTargets) {
            auto [values, width] = targetsFrom(y.cast<py::array>(), n);
            h->data.setTargets(std::move(values), width);
          }
          h->data.setPreprocessing(data::Preprocessing::fromJson(nlohmann::json::parse(preprocessing)));
          return h;
        },
        py::arg("x"), py::arg("y"), py::arg("classes"), py::arg("preprocessing"), py::arg("numeric_targets") = false,
        "A data set over `x` (borrowed when uint8 or float32 in C order, else converted once) and "
        "labels `y` (None: unlabelled; class indices, or with numeric_targets float targets [N] or "
        "[N, K], copied), with a preprocessing's JSON.");
  m.def("read_idx",
        [](const std::string& images, const std::string& labels, int classes) {
          data::Dataset d;
          {
            py::gil_scoped_release release;
            d = data::readIdx(images, labels, classes);
          }
          return arraysOf(std::move(d));
        },
        py::arg("images"), py::arg("labels"), py::arg("classes") = 10,
        "An IDX image file and label file (raw or gzip): (uint8 [N, 1, H, W], int32 [N]).");
  m.def("read_table",
        [](const std::string& path, const std::string& optionsJson, const std::string& schemaJson) {
          // options: a run configuration's "data" object (label_column, no_label, categorical, ...)
          const train::RunConfig config =
              train::RunConfig::fromJson(nlohmann::json{{"data", nlohmann::json::parse(optionsJson)}});
          const data::TableOptions o = train::tableOptions(config.data, false);
          data::Dataset d;
          data::TableSchema schema;
          {
            py::gil_scoped_release release;
            auto single = dist::singleProcess();
            if (!schemaJson.empty()) {
              schema = data::TableSchema::fromJson(nlohmann::json::parse(schemaJson), "schema");
              const data::TableLayout layout = data::inspectTable(path, schema, o.hasLabel);
              d = data::encodeTable(data::readTableRows(layout, o, &schema, *single), layout, schema);
            } else {
              const data::TableLayout layout = data::inspectTable(path, o);
              data::RawTable raw = data::readTableRows(layout, o, nullptr, *single);
              schema = data::fitTableSchema(raw, layout, o, *single);
              data::mapToSchema(raw, layout, schema);
              d = data::encodeTable(std::move(raw), layout, schema);
            }
          }
          py::tuple xy = arraysOf(std::move(d));
          return py::make_tuple(xy[0], xy[1], schema.toJson().dump());
        },
        py::arg("path"), py::arg("options"), py::arg("schema"),
        "Reads a CSV file as a typed table: (x float32 [N, width], y int32 [N] or None, schema JSON); "
        "fits the schema unless one is given.");

  m.def("read_csv",
        [](const std::string& path, const std::string& labelColumn, bool hasLabel, int classes) {
          data::CsvOptions options;
          options.labelColumn = labelColumn;
          options.hasLabel = hasLabel;
          options.numClasses = classes;
          data::Dataset d;
          {
            py::gil_scoped_release release;
            d = data::readCsv(path, options);
          }
          return arraysOf(std::move(d));
        },
        py::arg("path"), py::arg("label_column") = "0", py::arg("has_label") = true, py::arg("classes") = 0,
        "A numeric CSV file (raw or gzip): (float32 [N, F], int32 [N] or None).");
  m.def("pixel_scale", [] { return data::Preprocessing::pixelScale().toJson().dump(); },
        "The preprocessing of uint8 images (x / 255), as JSON.");
  m.def("fashion_mnist_dir", &data::fashionMnistDir, "Where Fashion-MNIST is read from.");
  m.def("load_config_data",
        [](const std::string& dataJson) {
          nlohmann::json j{{"data", nlohmann::json::parse(dataJson)}};
          train::RunConfig config = train::RunConfig::fromJson(j);
          train::RunData sets;
          {
            py::gil_scoped_release release;
            sets = train::loadRunData(config.data, train::DataUse::Training);
          }
          py::object test = py::none();
          if (sets.test) test = arraysOf(std::move(*sets.test));
          return py::make_tuple(arraysOf(std::move(*sets.train)), test, sets.numClasses, sets.description);
        },
        py::arg("data"),
        "The data sets a run configuration's \"data\" object names: ((x, y), (x, y) or None, classes, description).");
}

}  // namespace shoal::python
