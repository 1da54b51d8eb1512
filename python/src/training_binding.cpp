// Training from Python: a RunConfig and in-memory inputs through train::Run, with the GIL released while
// the engine computes, callbacks between steps, Ctrl-C as a clean stop, and callback errors re-raised.
#include <csignal>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "bindings.hpp"
#include "shoal/error.hpp"
#include "shoal/io/model_file.hpp"
#include "shoal/train/hardware.hpp"
#include "shoal/train/model_setup.hpp"
#include "shoal/train/predict.hpp"
#include "shoal/train/run.hpp"
#include "shoal/train/run_log.hpp"

namespace shoal::python {
namespace {

volatile std::sig_atomic_t interrupted = 0;

void noteInterrupt(int) { interrupted = 1; }

// While alive, SIGINT sets `interrupted` instead of running Python's handler (which could not
// run before the engine returns); the previous handler comes back afterwards.
class InterruptScope {
 public:
  explicit InterruptScope(bool active) : active_(active) {
    interrupted = 0;
    if (!active_) return;
    struct sigaction action {};
    action.sa_handler = noteInterrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &previous_);
  }
  ~InterruptScope() {
    if (active_) sigaction(SIGINT, &previous_, nullptr);
  }
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

 private:
  bool active_;
  struct sigaction previous_ {};
};

// Calls the Python callbacks between steps, on the training thread (the caller's), holding the
// GIL only while they run. A callback that returns True asks training to stop; one that raises
// stops it and its exception is raised again when training has ended.
class CallbackObserver : public train::StepObserver {
 public:
  CallbackObserver(py::object onIteration, py::object onEpoch)
      : onIteration_(std::move(onIteration)), onEpoch_(std::move(onEpoch)) {}

  void afterStep(const train::TrainState& state, train::RunLog&) override {
    if (onIteration_.is_none() || stopAsked_) return;
    call([&] {
      return onIteration_(state.epoch, state.iteration, state.loss);
    });
  }
  void atEpochEnd(const train::TrainState&, nlohmann::json& record) override {
    if (onEpoch_.is_none() || stopAsked_) return;
    const std::string text = record.dump();
    call([&] { return onEpoch_(text); });
  }
  bool stopAsked() const { return stopAsked_; }
  // Raises the exception a callback raised, if one did.
  void rethrow() {
    if (!error_) return;
    std::optional<py::error_already_set> error = std::move(error_);
    error_.reset();
    throw std::move(*error);
  }
  // Drops the held objects while the GIL is held.
  void release() {
    onIteration_ = py::none();
    onEpoch_ = py::none();
  }

 private:
  template <class F>
  void call(F&& f) {
    py::gil_scoped_acquire gil;
    try {
      py::object answer = f();
      if (!answer.is_none() && answer.cast<bool>()) stopAsked_ = true;
    } catch (py::error_already_set& e) {
      error_.emplace(std::move(e));
      stopAsked_ = true;
    }
  }

  py::object onIteration_, onEpoch_;
  bool stopAsked_ = false;
  std::optional<py::error_already_set> error_;
};

std::vector<train::ValidationMethod> methodsFrom(const std::vector<std::string>& names) {
  std::vector<train::ValidationMethod> methods;
  for (const std::string& n : names) {  // "AUC", "F1@0.3": a threshold after '@'
    const size_t at = n.find('@');
    double threshold = 0.5;
    if (at != std::string::npos) {
      try {
        threshold = std::stod(n.substr(at + 1));
      } catch (const std::exception&) {
        throw UsageError("validation method '" + n + "': the threshold after '@' is not a number");
      }
    }
    methods.push_back(train::validationMethodNamed(n.substr(0, at), threshold));
  }
  return methods;
}

py::dict summaryOf(const train::RunResult& r, bool stoppedByCallback) {
  py::dict out;
  const train::TrainSummary& s = r.summary;
  out["epochs"] = s.epochs;
  out["iterations"] = s.iterations;
  out["loss"] = s.lastEpochLoss;
  out["samples_per_sec"] = s.samplesPerSecond;
  py::dict validation;
  for (const auto& v : s.validation) validation[py::str(v.name)] = v.value();
  out["validation"] = validation;
  out["stopped"] = s.stoppedBySignal != 0;
  out["stopped_by_callback"] = stoppedByCallback;
  out["stopped_early"] = s.stoppedEarly;
  out["best_epoch"] = s.bestEpoch;
  out["last_checkpoint"] = s.lastCheckpoint;
  out["run_dir"] = r.dir;
  out["model_path"] = r.modelPath;
  return out;
}

py::dict trainModel(const std::string& configJson, ModelHandle& model, const std::string& infoJson,
                    DatasetHandle& trainSet, std::optional<std::shared_ptr<DatasetHandle>> validation,
                    std::shared_ptr<nn::Criterion> criterion, const std::vector<std::string>& methods,
                    py::object onIteration, py::object onEpoch, const std::string& modelName,
                    const std::string& description, const std::string& command, bool handleInterrupt) {
  train::RunConfig config = train::RunConfig::fromJson(nlohmann::json::parse(configJson));
  train::RunInputs inputs;
  inputs.model = model.module;
  inputs.info = io::modelInfoFromJson(nlohmann::json::parse(infoJson), "model info");
  inputs.train = trainSet.data;
  if (validation && *validation) inputs.validation = (*validation)->data;
  inputs.criterion = std::move(criterion);
  inputs.methods = methodsFrom(methods);
  inputs.modelName = modelName;
  inputs.description = description;

  train::Run run(config, processCommunicator());
  CallbackObserver callbacks(std::move(onIteration), std::move(onEpoch));
  run.setCommand(command).useInputs(std::move(inputs)).addObserver(&callbacks);
  run.setStopCheck([&callbacks] { return interrupted || callbacks.stopAsked() ? SIGINT : 0; });

  std::optional<train::RunResult> result;
  bool wasInterrupted = false;
  {
    InterruptScope scope(handleInterrupt);
    try {
      py::gil_scoped_release release;
      result = run.execute();
    } catch (...) {
      callbacks.rethrow();  // a callback's exception first: it is why training ended
      callbacks.release();
      throw;
    }
    wasInterrupted = interrupted != 0;
  }
  callbacks.release();
  callbacks.rethrow();
  if (wasInterrupted) {
    std::string where = "stopped by SIGINT after iteration " + std::to_string(result->summary.iterations);
    if (!result->summary.lastCheckpoint.empty()) where += "; checkpoint: " + result->summary.lastCheckpoint;
    PyErr_SetString(PyExc_KeyboardInterrupt, where.c_str());
    throw py::error_already_set();
  }
  return summaryOf(*result, callbacks.stopAsked());
}

// `d` reshaped to the model's input (when only the shape differs) with its preprocessing.
data::Dataset fittedTo(const ModelHandle& model, const data::Dataset& d, const std::string& preprocessingJson) {
  io::ModelInfo info;
  info.inputShape = model.inputShape;
  info.preprocessing = data::Preprocessing::fromJson(nlohmann::json::parse(preprocessingJson));
  data::Dataset fitted = d;  // shares the samples
  train::fitDataToModel(fitted, info, "the data");
  return fitted;
}

// The engine's log lines through Python's sys.stdout (notebooks and redirect_stdout see them);
// stdout itself when sys.stdout is gone or fails.
void lineToPythonStdout(const std::string& text) {
  py::gil_scoped_acquire gil;
  try {
    py::object out = py::module_::import("sys").attr("stdout");
    if (!out.is_none()) {
      out.attr("write")(text + "\n");
      out.attr("flush")();
      return;
    }
  } catch (const py::error_already_set&) {
  }
  std::cout << text << std::endl;
}

}  // namespace

void bindTraining(py::module_& m) {
  m.def("send_lines_to_python", [](bool on) { train::setLineSink(on ? lineToPythonStdout : nullptr); },
        py::arg("on"), "Engine log lines to sys.stdout (True) or to the process's stdout (False).");
  m.def("set_num_threads",
        [](int threads) {
          if (threads < 0) throw UsageError("threads must not be negative (0: all cores), got " + std::to_string(threads));
          train::useThreads(threads);
        },
        py::arg("threads"), "Sets the compute threads of inference and training (0: all cores).");
  m.def("num_threads", &train::computeThreads, "The compute threads the engine uses.");
  m.def("evaluate",
        [](ModelHandle& model, DatasetHandle& data, const std::vector<std::string>& methods,
           std::shared_ptr<nn::Criterion> criterion, int64_t batch, const std::string& preprocessing) {
          if (batch <= 0) throw UsageError("batch_size must be positive, got " + std::to_string(batch));
          if (data.data.size() == 0) throw UsageError("evaluate: the data set is empty");
          data::Dataset fitted = fittedTo(model, data.data, preprocessing);
          if (!criterion) criterion = train::criterionFor("auto", *model.module);
          std::vector<train::ValidationMethod> ms = methodsFrom(methods);
          std::vector<train::ValidationResult> results;
          {
            py::gil_scoped_release release;
            results = train::evaluate(*model.module, fitted, ms, *criterion, batch);
          }
          py::dict out;
          for (const auto& r : results) out[py::str(r.name)] = r.value();
          for (const auto& r : results)
            if (!r.perClass.empty()) out[py::str(r.name + "_per_class")] = r.perClass;
          return out;
        },
        py::arg("model"), py::arg("data"), py::arg("methods"), py::arg("criterion"), py::arg("batch"),
        py::arg("preprocessing"), "Metrics of `model` over a labelled data set, in evaluation mode.");
  m.def("predict",
        [](ModelHandle& model, DatasetHandle& data, int64_t batch, const std::string& preprocessing) {
          if (batch <= 0) throw UsageError("batch_size must be positive, got " + std::to_string(batch));
          if (data.data.size() == 0) throw UsageError("predict: the data set is empty");
          data::Dataset fitted = fittedTo(model, data.data, preprocessing);
          Tensor out;
          {
            py::gil_scoped_release release;
            out = train::predict(*model.module, fitted, batch);
          }
          return copyOut(out);
        },
        py::arg("model"), py::arg("data"), py::arg("batch"), py::arg("preprocessing"),
        "The model's outputs for every sample, in evaluation mode.");
  m.def("train", &trainModel, py::arg("config"), py::arg("model"), py::arg("info"), py::arg("train"),
        py::arg("validation"), py::arg("criterion"), py::arg("methods"), py::arg("on_iteration"),
        py::arg("on_epoch"), py::arg("model_name"), py::arg("description"), py::arg("command"),
        py::arg("handle_interrupt"),
        "Trains `model` in place through train::Run with the run configuration `config` (JSON); "
        "returns the summary as a dict.");
}

}  // namespace shoal::python
