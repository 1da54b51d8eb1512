// Reading a run directory's metrics.jsonl into records by type, skipping damaged lines with a warning.
#include "shoal/report/run_metrics.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "shoal/error.hpp"

namespace shoal::report {
namespace {

double number(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

// A whole number for counters (epoch, iteration), clamped so that any double converts safely.
int64_t whole(double v) {
  if (!(v > -9e18)) return v != v ? 0 : static_cast<int64_t>(-9e18);
  return static_cast<int64_t>(std::min(v, 9e18));
}

// A run resumed from the checkpoint taken at `iteration` in `epoch`: the resumed run records
// again the steps after that iteration and that epoch's end (an iteration checkpoint is taken
// before its epoch ends), and the interrupted run's summary and test no longer stand.
void forgetAfter(RunMetrics& run, int64_t iteration, int64_t epoch) {
  auto later = [iteration](const nlohmann::json& r) { return whole(number(r, "iteration")) > iteration; };
  std::erase_if(run.iterations, [iteration](const IterationPoint& p) { return p.iteration > iteration; });
  std::erase_if(run.epochs, [epoch](const nlohmann::json& r) { return whole(number(r, "epoch")) >= epoch; });
  std::erase_if(run.validations, later);
  std::erase_if(run.layerStats, later);
  run.summary = nullptr;
  run.test = nullptr;
}

// Files one parsed record into `run`; returns false when a field the type needs is missing.
bool file(RunMetrics& run, nlohmann::json&& record) {
  const std::string& type = record["type"].get_ref<const std::string&>();
  if (type == "iteration") {
    if (!record.contains("iteration") || !record["iteration"].is_number() || !record.contains("loss") ||
        !record["loss"].is_number())
      return false;
    run.iterations.push_back({whole(number(record, "epoch")), whole(number(record, "iteration")),
                              number(record, "loss"), number(record, "lr")});
  } else if (type == "epoch") {
    if (!record.contains("epoch") || !record["epoch"].is_number()) return false;
    run.epochs.push_back(std::move(record));
  } else if (type == "validation") {
    run.validations.push_back(std::move(record));
  } else if (type == "layers") {
    if (!record.contains("layers") || !record["layers"].is_array()) return false;
    run.layerStats.push_back(std::move(record));
  } else if (type == "config") {
    run.config = std::move(record);
  } else if (type == "summary") {
    run.summary = std::move(record);
  } else if (type == "test") {
    run.test = std::move(record);
  } else if (type == "resume") {
    if (!record.contains("iteration") || !record["iteration"].is_number() || !record.contains("epoch") ||
        !record["epoch"].is_number())
      return false;
    forgetAfter(run, whole(number(record, "iteration")), whole(number(record, "epoch")));
  }
  return true;
}

}  // namespace

std::string metricsPath(const std::string& dir) { return dir + "/metrics.jsonl"; }

RunMetrics parseMetrics(const std::string& text, const std::string& source, const Warn& warn) {
  RunMetrics run;
  size_t start = 0;
  int64_t lineNumber = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    bool finished = end != std::string::npos;
    std::string_view line(text.data() + start, (finished ? end : text.size()) - start);
    start = finished ? end + 1 : text.size();
    ++lineNumber;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    nlohmann::json record = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    std::string where = source + ":" + std::to_string(lineNumber) + ": ";
    if (record.is_discarded()) {
      warn(where + (finished ? "not valid JSON; line skipped" : "unfinished last line skipped"));
      continue;
    }
    if (!record.is_object() || !record.contains("type") || !record["type"].is_string()) {
      warn(where + "expected a JSON object with a string \"type\"; line skipped");
      continue;
    }
    std::string type = record["type"].get<std::string>();
    if (!file(run, std::move(record))) {
      warn(where + "\"" + type + "\" record without its required fields; line skipped");
      continue;
    }
    if (finished) ++run.lines;
  }
  return run;
}

RunMetrics readRunMetrics(const std::string& dir, const Warn& warn) {
  std::string path = metricsPath(dir);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open the run's metrics");
  std::ostringstream text;
  text << in.rdbuf();
  RunMetrics run = parseMetrics(text.str(), path, warn);
  run.dir = dir;
  std::filesystem::path p = std::filesystem::absolute(dir).lexically_normal();
  if (!p.has_filename()) p = p.parent_path();  // "runs/a/" and "runs/a/." name "a"
  run.name = p.filename().string();
  return run;
}

}  // namespace shoal::report
