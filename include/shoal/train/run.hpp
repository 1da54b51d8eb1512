// train::Run: one training run from a RunConfig — data, model, training, evaluation and the run directory.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shoal/dist/communicator.hpp"
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
  std::unique_ptr<dist::Communicator> comm_;
  std::string command_;
  std::function<int()> stopRequested_;
  std::vector<StepObserver*> observers_;
  std::unique_ptr<Parts> parts_;
};

// The configuration checked (RunConfig::check), then a connection to the job's ranks as
// "dist" says; `timeoutName` is what a timeout message calls "dist.comm_timeout".
std::unique_ptr<dist::Communicator> connectForRun(const RunConfig& config,
                                                  const std::string& timeoutName = "\"dist.comm_timeout\"");

}  // namespace shoal::train
