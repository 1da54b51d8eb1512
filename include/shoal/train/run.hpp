// train::Run: one training run from a RunConfig — data, model, training, evaluation and the run directory.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shoal/data/dataset.hpp"
#include "shoal/dist/communicator.hpp"
#include "shoal/io/model_file.hpp"
#include "shoal/nn/criterion.hpp"
#include "shoal/nn/module.hpp"
#include "shoal/train/optimizer.hpp"
#include "shoal/train/run_config.hpp"
#include "shoal/train/validation.hpp"

namespace shoal::train {

// What a finished (or stopped) run reports.
struct RunResult {
  TrainSummary summary;
  std::string dir;            // the run directory
  std::string modelPath;      // dir/model.shoal (written by rank 0)
  std::string checkpointDir;  // empty when checkpointing was off
  // Top1Accuracy and Loss on the test set over all ranks; none without a test set, or when a
  // signal stopped training.
  std::optional<std::vector<ValidationResult>> test;
};

// What a front end that holds its model and data as objects (Python) gives a Run instead of naming
// them in the configuration ("model" and "data" are then not read).
struct RunInputs {
  std::shared_ptr<nn::Module> model;  // trained in place
  io::ModelInfo info;                 // its per-sample input shape, classes and preprocessing
  data::Dataset train;                // the whole training set (every rank keeps its shard)
  std::optional<data::Dataset> validation;  // validated on as "validate_every" says
  std::string description = "arrays";       // for the log: "arrays", "Fashion-MNIST"
  std::string modelName = "model";          // for the log and the default run directory
  // The criterion; null: as "loss" says.
  std::shared_ptr<nn::Criterion> criterion;
  // Validation methods; empty: Top1Accuracy and Loss.
  std::vector<ValidationMethod> methods;
};

// Every rank of a job builds the same Run from the same configuration. execute() reads the
// data (this rank's shard of it), builds or loads the model (from the checkpoint when resuming),
// trains, and rank 0 writes the run directory: config.json (the configuration, which
// RunConfig::fromFile reads back to repeat the run), train.log, metrics.jsonl, model.shoal and,
// with "output.report", report.html.
class Run {
 public:
  // Checks `config` (ConfigError naming the key) and connects to the job's other ranks when
  // launched by mpirun.
  explicit Run(RunConfig config);
  // Runs on `comm` (a rank of a job, or dist::singleProcess()); `config` is checked first.
  Run(RunConfig config, std::unique_ptr<dist::Communicator> comm);
  // Runs on a communicator that outlives the run (a front end's, kept for the whole process).
  Run(RunConfig config, std::shared_ptr<dist::Communicator> comm);
  ~Run();
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  const RunConfig& config() const { return config_; }
  dist::Communicator& comm() { return *comm_; }

  // Recorded as "command" in the config record (the command line or call that started the run).
  Run& setCommand(std::string command);
  // Asked after every step; a non-zero answer (a signal number) stops training after that step,
  // with a checkpoint when checkpointing is on; execute() then returns without the test.
  Run& setStopCheck(std::function<int()> stopRequested);
  // Watches the training steps (not owned; it must outlive execute()).
  Run& addObserver(StepObserver* observer);
  // Trains `inputs` instead of what "model" and "data" name. "seed" then drives shuffling only
  // (the model was initialised when it was built); files are written only when "output.dir" is
  // set; the validation set is not evaluated again after training (summary.validation holds the
  // last validation).
  Run& useInputs(RunInputs inputs);

  RunResult execute();
  // The run's log lines and records (valid during and after execute()), for front ends to add
  // their own lines.
  RunLog& log();

  struct Parts;  // what execute() builds (run_parts.hpp)

 private:
  void prepare();
  void setUpTraining(Optimizer& optimizer);
  void finish(RunResult& result);

  RunConfig config_;
  std::shared_ptr<dist::Communicator> comm_;
  std::string command_;
  std::function<int()> stopRequested_;
  std::vector<StepObserver*> observers_;
  std::optional<RunInputs> inputs_;
  std::unique_ptr<Parts> parts_;
};

// The configuration checked (RunConfig::check), then a connection to the job's ranks as
// "dist" says; `timeoutName` is what a timeout message calls "dist.comm_timeout".
std::unique_ptr<dist::Communicator> connectForRun(const RunConfig& config,
                                                  const std::string& timeoutName = "\"dist.comm_timeout\"");

}  // namespace shoal::train
