// train::Run: the order of a run — inputs, records, training, the saved model, the test and the report.
#include "shoal/train/run.hpp"

#include <iostream>

#include "run_parts.hpp"
#include "shoal/backend/cpu_info.hpp"
#include "shoal/dist/connect.hpp"
#include "shoal/error.hpp"
#include "shoal/nn/random.hpp"
#include "shoal/report/html_report.hpp"
#include "shoal/train/hardware.hpp"
#include "shoal/train/model_setup.hpp"
#include "shoal/train/optim_from_config.hpp"
#include "shoal/train/class_weights.hpp"

namespace shoal::train {
namespace {

// Threads per rank: "threads", else the cores this process may use shared out among the ranks on
// this machine (a launcher that binds each rank to its own cores leaves one share per rank).
int threadsFor(const RunConfig& config, const dist::Communicator& comm) {
  if (config.threads > 0 || comm.size() == 1) return static_cast<int>(config.threads);
  return std::max(1, backend::usableCores() / comm.localSize());
}

Trigger endTrigger(const EndConfig& end) {
  if (end.iterations > 0) return MaxIteration(end.iterations);
  if (end.minLoss > 0) return MinLoss(end.minLoss);
  return MaxEpoch(end.epochs);
}

std::vector<ValidationMethod> configuredMethods(const ValidationConfig& v) {
  std::vector<ValidationMethod> methods;
  for (const std::string& name : v.methods) methods.push_back(validationMethodNamed(name, v.threshold));
  return methods;
}

// Threshold compression with plain SGD momentum: that momentum is applied on each rank before
// sparsification (dist::GradientReducer's momentum correction); 0 otherwise (with Nesterov or
// dampening the optimiser's momentum stays as it is).
double thresholdMomentumCorrection(const RunConfig& c) {
  const bool plainMomentum =
      c.optim.method == "sgd" && c.optim.momentum > 0 && c.optim.dampening == 0 && !c.optim.nesterov;
  return c.dist.compress == "threshold" && plainMomentum ? c.optim.momentum : 0;
}

std::string writeReport(const std::string& dir) {
  std::string path = dir + "/report.html";
  report::writeReport({dir}, path, [](const std::string& warning) {
    std::cerr << "shoal: warning: " << warning << std::endl;
  });
  return path;
}

// What every rank of a job must agree on, as text: the configuration without what may differ
// between ranks (where the data and outputs are, threads, how this rank connects).
std::string agreedConfiguration(const RunConfig& config) {
  nlohmann::json j = config.toJson();
  for (const char* key : {"data", "output", "checkpoint", "resume", "threads", "profile", "stats_every"}) j.erase(key);
  for (const char* key : {"rank", "rendezvous", "job_secret_file", "comm_timeout", "shared_memory", "comm"})
    j["dist"].erase(key);
  return j.dump();
}

}  // namespace

std::unique_ptr<dist::Communicator> connectForRun(const RunConfig& config, const std::string& timeoutName) {
  config.check();
  dist::ConnectOptions options;
  options.comm = config.dist.comm;
  options.timeoutSeconds = config.dist.commTimeout;
  options.sharedMemory = config.dist.sharedMemory;
  options.hierarchy = config.dist.hierarchical == "on"    ? dist::Hierarchy::On
                      : config.dist.hierarchical == "off" ? dist::Hierarchy::Off
                                                          : dist::Hierarchy::Auto;
  options.timeoutName = timeoutName;
  options.rendezvous = config.dist.rendezvous;
  options.worldSize = static_cast<int>(config.dist.worldSize);
  options.rank = static_cast<int>(config.dist.rank);
  options.jobSecretFile = config.dist.jobSecretFile;
  options.configuration = agreedConfiguration(config);
  return dist::connect(options);
}

Run::Run(RunConfig config) : Run(config, connectForRun(config)) {}

Run::Run(RunConfig config, std::unique_ptr<dist::Communicator> comm)
    : Run(std::move(config), std::shared_ptr<dist::Communicator>(std::move(comm))) {}

Run::Run(RunConfig config, std::shared_ptr<dist::Communicator> comm)
    : config_(std::move(config)), comm_(std::move(comm)) {
  config_.check();
}

Run::~Run() = default;

Run& Run::setCommand(std::string command) {
  command_ = std::move(command);
  return *this;
}

Run& Run::setStopCheck(std::function<int()> stopRequested) {
  stopRequested_ = std::move(stopRequested);
  return *this;
}

Run& Run::addObserver(StepObserver* observer) {
  observers_.push_back(observer);
  return *this;
}

Run& Run::useInputs(RunInputs inputs) {
  if (!inputs.model) throw UsageError("Run::useInputs: no model given");
  inputs_ = std::move(inputs);
  return *this;
}

RunLog& Run::log() {
  if (!parts_ || !parts_->log) throw UsageError("the run's log exists once execute() has started");
  return *parts_->log;
}

RunResult Run::execute() {
  prepare();
  Parts& p = *parts_;
  Optimizer optimizer(p.model(), *p.data.train, p.criterion, p.method, endTrigger(config_.end), config_.batch);
  setUpTraining(optimizer);
  RunResult result{optimizer.optimize(), p.dir, p.dir + "/model.shoal", p.checkpointDir, {}};
  finish(result);
  return result;
}

// Threads, seed, strategy, data, model, run directory, criterion and method, and the first records.
void Run::prepare() {
  const RunConfig& c = config_;
  useThreads(threadsFor(c, *comm_));
  if (!inputs_) nn::manualSeed(c.seed);  // a given model was initialised when it was built
  parts_ = std::make_unique<Parts>();
  Parts& p = *parts_;
  const dist::Strategy strategy = dist::parseStrategy(c.dist.strategy);
  if (comm_->size() > 1 || strategy == dist::Strategy::Lbfgs)
    p.sync = std::make_unique<dist::Synchronizer>(
        *comm_, strategy, c.dist.averageEvery > 0 ? c.dist.averageEvery : 10,
        dist::ExchangeOptions{.compression = dist::parseCompression(c.dist.compress),
                              .thresholdDensity = c.dist.thresholdDensity,
                              .overlap = c.dist.overlap,
                              .bucketBytes = static_cast<int64_t>(c.dist.bucketMb * 1e6),
                              .momentumCorrection = thresholdMomentumCorrection(c)});
  const std::string name = inputs_ ? inputs_->modelName : modelName(c);
  if (inputs_) {
    p.criterion = inputs_->criterion;
    takeInputs(c, *comm_, std::move(*inputs_), p);
    inputs_.reset();  // the data sets now live in the parts
  } else {
    loadInputs(c, *comm_, p);
  }
  if (p.methods.empty()) p.methods = configuredMethods(c.validation);
  // held out: a split of the training set, or the validation set given with the inputs (which
  // runs as the test set: given inputs are not tested)
  const bool heldOut = p.data.validation || (p.given && p.data.test);
  if (c.validation.earlyStop > 0 && !heldOut)  // before the run directory is made
    throw ConfigError("validation.early_stop",
                      "\"validation.early_stop\" needs a validation set held out from training (\"validation.split\", "
                      "or one given through the API): it never chooses on the test set");
  // Given inputs write files only into a directory named in the configuration.
  p.dir = !c.output.dir.empty() ? c.output.dir : p.given ? "" : defaultRunDir(name);
  p.checkpointDir = c.checkpoint.dir.empty() ? c.resume : c.checkpoint.dir;
  const bool rank0 = comm_->rank() == 0;  // only rank 0 prints and writes files
  p.log = std::make_unique<RunLog>(rank0 ? p.dir : "", c.output.quiet || !rank0, p.resumed.has_value());
  if (p.criterion && c.classWeight != "none")
    throw ConfigError("class_weight", "\"class_weight\" applies to the criterion the run builds: give the "
                                      "criterion its weights instead (ClassNLLCriterion(weights=...))");
  if (!p.criterion)
    p.criterion = criterionFor(c.loss, p.model(),
                               classWeightsFor(c.classWeight, p.data.train->labels(), p.loaded.info.classes, *comm_));
  const bool numericTargets = p.data.train->targetWidth() > 0;
  if (numericTargets != (p.criterion->typeName() == "MSECriterion"))
    throw ConfigError("loss", numericTargets
                                  ? "\"loss\": the training data has numeric targets: use mse (MSECriterion)"
                                  : "\"loss\": " + p.criterion->typeName() + (c.loss == "mse" ? " (mse)" : "") +
                                        " needs numeric targets, but the training data has class labels");
  if (numericTargets)
    for (const ValidationMethod& m : p.methods)
      if (!m.takesNumericTargets())
        throw ConfigError("validation.methods", "\"validation.methods\": " + m.name() +
                                                    " needs class labels; numeric targets are validated by Loss and MAE");
  p.method = makeOptimMethod(c.optim);
  recordStart(c, command_, name, *comm_, p);
}

// Seed, strategy, checkpoints, resume, stop check, observers and validation.
void Run::setUpTraining(Optimizer& optimizer) {
  const RunConfig& c = config_;
  Parts& p = *parts_;
  optimizer.setSeed(c.seed).setShuffle(c.shuffle).setRunLog(p.log.get()).setStrategy(p.sync.get());
  if (!p.checkpointDir.empty())
    optimizer.setCheckpointing(
        {p.checkpointDir, c.checkpointEveryIterations(), static_cast<int>(c.checkpoint.keep)}, p.loaded.info);
  if (p.resumed) {
    optimizer.resumeFrom(p.resumed->checkpoint, p.resumed->path);
    p.log->line("resuming from " + p.resumed->path);
  }
  if (stopRequested_) optimizer.setStopCheck(stopRequested_);
  for (StepObserver* o : observers_) optimizer.addObserver(o);
  if (c.statsEvery > 0) optimizer.addObserver(&p.layerStats.emplace(p.model(), c.statsEvery));
  if (c.profile) optimizer.addObserver(&p.profiler.emplace(p.model(), *p.log));
  const std::optional<data::Dataset>& validation = p.data.validation ? p.data.validation : p.data.test;
  if (validation)
    optimizer.setValidation(c.validateEvery > 0 ? SeveralIteration(c.validateEvery) : EveryEpoch(),
                            *validation, p.methods, c.validation.batch);
  if (c.validation.earlyStop > 0) optimizer.setEarlyStopping({c.validation.earlyStop, c.validation.earlyStopMetric});
}

// The saved model, the last lines, the test over all ranks (unless stopped, or the inputs were
// given) and the report.
void Run::finish(RunResult& result) {
  const RunConfig& c = config_;
  Parts& p = *parts_;
  const bool rank0 = comm_->rank() == 0;
  if (p.dir.empty()) result.modelPath.clear();
  if (rank0 && !result.modelPath.empty()) io::saveModel(result.modelPath, p.model(), p.loaded.info);
  recordTraining(result.summary, p);
  if (result.summary.stoppedBySignal) return;
  if (p.data.test && !p.given) {
    ScoreTable scores;
    result.test = evaluate(p.model(), *p.data.test, p.methods, *p.criterion, c.batch, comm_.get(), &scores);
    recordTest(*result.test, scores, c.validation.threshold, p);
  }
  if (p.dir.empty()) return;
  p.log->line("model: " + result.modelPath + "  metrics: " + p.dir + "/metrics.jsonl  log: " + p.dir +
              "/train.log");
  if (c.output.report && rank0) p.log->line("report: " + writeReport(p.dir));
}

}  // namespace shoal::train
