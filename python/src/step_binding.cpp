// Training one batch at a time from Python (batches from an iterable, for data that does not fit in memory):
// the trainer's mini-batch step on a single process, each batch gathered and scaled like a data set's.
#include <cmath>
#include <numeric>

#include <nlohmann/json.hpp>

#include "bindings.hpp"
#include "shoal/error.hpp"
#include "shoal/nn/flat_parameters.hpp"
#include "shoal/train/model_setup.hpp"
#include "shoal/train/optim_from_config.hpp"
#include "shoal/train/run_config.hpp"

namespace shoal::python {
namespace {

class StepTrainer {
 public:
  StepTrainer(std::shared_ptr<ModelHandle> model, std::shared_ptr<nn::Criterion> criterion,
              const std::string& optimJson, const std::string& preprocessingJson)
      : model_(std::move(model)), criterion_(std::move(criterion)) {
    const train::RunConfig config = train::RunConfig::fromJson({{"optim", nlohmann::json::parse(optimJson)}});
    if (config.optim.method == "lbfgs")
      throw UsageError("training from batches: L-BFGS needs the whole data set (give arrays)");
    method_ = train::makeOptimMethod(config.optim);
    if (!criterion_) criterion_ = train::criterionFor("auto", *model_->module);
    info_.inputShape = model_->inputShape;
    info_.preprocessing = data::Preprocessing::fromJson(nlohmann::json::parse(preprocessingJson));
  }

  void setEpoch(int64_t epoch) { method_->setEpoch(epoch); }

  // One optimisation step on a labelled batch; the batch's loss.
  float step(const DatasetHandle& batch) {
    if (batch.data.size() == 0) throw UsageError("training from batches: an empty batch");
    if (!batch.data.hasLabels()) throw UsageError("training from batches: a batch without labels");
    data::Dataset fitted = batch.data;
    train::fitDataToModel(fitted, info_, "the batch");
    indices_.resize(static_cast<size_t>(fitted.size()));
    std::iota(indices_.begin(), indices_.end(), 0);
    fitted.gather(indices_, input_, target_);
    float loss = 0;
    bool finite = true;
    {
      py::gil_scoped_release release;
      nn::Module& m = *model_->module;
      nn::FlatParameters& flat = m.flatParameters();
      m.train();
      loss = method_->step(flat.values(), flat.grads(), [&] {
        flat.discardGrads();
        const Tensor& output = m.forward(input_);
        float l = criterion_->forward(output, target_);
        m.backwardParameters(input_, criterion_->backward(output, target_));
        return l;
      });
      finite = std::isfinite(loss) && method_->lastGradientsFinite(flat.grads());
      m.evaluate();
    }
    if (!finite)
      throw DivergenceError("training from batches: the loss or a gradient became infinite or NaN at step " +
                            std::to_string(method_->iteration()));
    return loss;
  }

  double learningRate() const { return method_->currentLearningRate(); }

 private:
  std::shared_ptr<ModelHandle> model_;
  std::shared_ptr<nn::Criterion> criterion_;
  std::shared_ptr<optim::OptimMethod> method_;
  io::ModelInfo info_;
  std::vector<int64_t> indices_;
  Tensor input_, target_;
};

}  // namespace

void bindSteps(py::module_& m) {
  py::class_<StepTrainer>(m, "StepTrainer",
      "One optimisation step per call on batches given one at a time (single process).")
      .def(py::init<std::shared_ptr<ModelHandle>, std::shared_ptr<nn::Criterion>, const std::string&,
                    const std::string&>(),
           py::arg("model"), py::arg("criterion"), py::arg("optim"), py::arg("preprocessing"))
      .def("set_epoch", &StepTrainer::setEpoch, py::arg("epoch"), "The epoch (from 0) schedules count.")
      .def("step", &StepTrainer::step, py::arg("batch"), "One step on a labelled batch; its loss.")
      .def_property_readonly("lr", &StepTrainer::learningRate);
}

}  // namespace shoal::python
