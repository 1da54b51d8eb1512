// Reading a run directory's metrics.jsonl into records by type, skipping damaged lines with a warning.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace shoal::report {

// One "iteration" record.
struct IterationPoint {
  int64_t epoch = 0;
  int64_t iteration = 0;
  double loss = 0;
  double lr = 0;
};

// The records of one run, in file order.
struct RunMetrics {
  std::string dir;    // the run directory as given
  std::string name;   // its last path component, the run's label on charts
  nlohmann::json config;   // the "config" record (null when missing)
  nlohmann::json summary;  // the "summary" record (null when missing)
  nlohmann::json test;     // the "test" record (null when missing)
  std::vector<IterationPoint> iterations;
  std::vector<nlohmann::json> epochs;       // "epoch" records
  std::vector<nlohmann::json> validations;  // "validation" records (inside epochs)
  std::vector<nlohmann::json> layerStats;   // "layers" records
  int64_t lines = 0;                        // complete lines read
};

using Warn = std::function<void(const std::string&)>;

// Parses metrics text. A line that is not a JSON object with a string "type" is skipped and named
// in a warning ("<source>:<line>: ..."); so is an unfinished last line (one being written), and
// records of unknown types are ignored. A "resume" record (a run continued from the checkpoint
// taken at its "iteration" in its "epoch") drops the records before it that the resumed run
// records again: steps, validations and layer statistics past that iteration, the ends of that
// epoch and later ones, the summary and the test. Never throws on content.
RunMetrics parseMetrics(const std::string& text, const std::string& source, const Warn& warn);

// Reads DIR/metrics.jsonl; throws InputError when the file cannot be opened.
RunMetrics readRunMetrics(const std::string& dir, const Warn& warn);

// The path of a run's metrics file.
std::string metricsPath(const std::string& dir);

}  // namespace shoal::report
