// The run's outputs: log lines to stdout and train.log, metric records to metrics.jsonl.
#pragma once
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

namespace shoal::train {

// Where the engine's human-readable lines go: stdout, unless a sink is set (the Python binding
// sends them to sys.stdout, so notebooks show them). An empty function restores stdout.
void setLineSink(std::function<void(const std::string&)> sink);
// One line to the sink (or stdout).
void showLine(const std::string& text);

// metrics.jsonl holds one JSON object per line, each with a "type" field (README: "Seeing
// training" has the full list of fields; readers skip lines they cannot parse and unknown types):
//   "config"     once at the start: settings, model, data sizes, hardware;
//   "summary"    once at the start (train::Run): input shape, per-layer output shape, parameters, FLOPs;
//   "iteration"  every step: epoch, iteration, loss, lr;
//   "layers"     every N steps with --stats-every N (train::LayerStatistics): per-layer
//                weight_norm, grad_norm, update_norm, update_ratio;
//   "epoch"      each epoch: epoch, iteration, loss (mean), samples_per_sec, elapsed_sec,
//                lr and the validation metrics when validation ran; distributed runs add ranks,
//                comm_sec, comm_share, bytes_per_step; --profile adds profile {layers, ...};
//   "validation" each validation that is not at an epoch end: epoch, iteration, metrics;
//   "test"       the final evaluation on the test set (train::Run).
class RunLog {
 public:
  // `dir` empty: log lines go to stdout only and no files are written. Otherwise the directory
  // is created when missing and train.log and metrics.jsonl start empty (or are appended to,
  // for a resumed run); an unwritable directory throws OutputError before training starts.
  explicit RunLog(const std::string& dir = "", bool quiet = false, bool append = false);
  ~RunLog();
  RunLog(const RunLog&) = delete;
  RunLog& operator=(const RunLog&) = delete;

  const std::string& dir() const { return dir_; }
  // A human-readable line: stdout (unless quiet) and train.log.
  void line(const std::string& text);
  // A metrics record (adds nothing to it; the caller sets "type").
  void record(const nlohmann::json& j);
  // The per-step record, formatted without allocating.
  void iteration(int64_t epoch, int64_t iteration, double loss, double lr);

 private:
  std::string dir_;
  bool quiet_;
  std::FILE* log_ = nullptr;
  std::FILE* metrics_ = nullptr;
};

}  // namespace shoal::train
