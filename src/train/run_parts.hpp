// What a Run builds before and while it trains, and the steps of execute() that build and record it.
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "shoal/dist/synchronizer.hpp"
#include "shoal/io/checkpoint.hpp"
#include "shoal/io/model_file.hpp"
#include "shoal/nn/module.hpp"
#include "shoal/train/layer_statistics.hpp"
#include "shoal/train/run.hpp"
#include "shoal/train/run_data.hpp"
#include "shoal/train/step_profiler.hpp"

namespace shoal::train {

struct Run::Parts {
  std::optional<io::LoadedCheckpoint> resumed;
  RunData data;  // this rank's shards
  int64_t trainSamples = 0, testSamples = 0;  // over all ranks
  io::LoadedModel loaded;
  std::shared_ptr<nn::Module> given;  // the model of RunInputs, when given
  std::vector<ValidationMethod> methods;  // validation methods
  nn::Precision precision = nn::Precision::F32;  // "precision" resolved on this machine
  std::string precisionNote;  // why auto chose fp32, or that bf16 is emulated; empty: nothing
  std::unique_ptr<dist::Synchronizer> sync;  // null: single-process mini-batch training
  std::string dir;
  std::string checkpointDir;
  std::unique_ptr<RunLog> log;
  std::shared_ptr<nn::Criterion> criterion;
  std::shared_ptr<optim::OptimMethod> method;
  std::optional<LayerStatistics> layerStats;
  std::optional<StepProfiler> profiler;

  nn::Module& model() { return given ? *given : *loaded.model; }
};

// The checkpoint to resume from, the data (sharded over the ranks) and the model, fitted together.
void loadInputs(const RunConfig& config, dist::Communicator& comm, Run::Parts& parts);
// The same from the objects a front end gave (this rank's shards of its data sets).
void takeInputs(const RunConfig& config, dist::Communicator& comm, RunInputs inputs, Run::Parts& parts);

// "runs/<model>-<date>-<time>".
std::string defaultRunDir(const std::string& modelName);
// What the log calls the model: "model.file", else "model.name".
std::string modelName(const RunConfig& config);
// The config record, config.json, the first line and the model summary.
void recordStart(const RunConfig& config, const std::string& command, const std::string& modelName,
                 dist::Communicator& comm, Run::Parts& parts);
// "trained N iterations in E epochs, S samples/s" and the last checkpoint.
void recordTraining(const TrainSummary& summary, Run::Parts& parts);
// The test line and record.
// The test line and record: every method's value, and from the samples' scores (when a method
// needed them) the confusion matrix at `threshold` and, for two classes, the ROC and
// precision-recall curves.
void recordTest(const std::vector<ValidationResult>& results, const ScoreTable& scores, double threshold,
                Run::Parts& parts);

}  // namespace shoal::train
