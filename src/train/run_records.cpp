// What a run writes about itself: the config record, config.json, its first and last lines, the model summary.
#include <algorithm>
#include <ctime>
#include <iomanip>
#include <sstream>

#include "run_parts.hpp"
#include "shoal/train/binary_metrics.hpp"
#include "shoal/io/atomic_file.hpp"
#include "shoal/nn/model_summary.hpp"
#include "shoal/train/hardware.hpp"
#include "shoal/version.hpp"

namespace shoal::train {
namespace {

// " (gradients as threshold codes, density 0.01, overlapped in 1 MB buckets)"; empty for plain floats.
std::string exchangeDescription(const DistConfig& dist) {
  if (dist.compress == "none" && !dist.overlap) return "";
  std::ostringstream s;
  s << " (gradients as " << (dist.compress == "none" ? "floats" : dist.compress == "bf16" ? "bf16" : "threshold codes");
  if (dist.compress == "threshold") s << ", density " << dist.thresholdDensity;
  s << (dist.overlap ? ", overlapped" : "") << " in " << dist.bucketMb << " MB buckets)";
  return s.str();
}

// "batch 64 per rank x 2 ranks (global batch 128)", "full batch (L-BFGS over 60000 samples)".
std::string batchDescription(const RunConfig& config, const dist::Synchronizer* sync, int ranks) {
  const std::string batch = std::to_string(config.batch);
  std::string strategy = sync ? ", strategy " + dist::strategyName(sync->strategy()) : "";
  if (sync && sync->fullBatch()) return "full batch per step (in chunks of " + batch + ")" + strategy;
  if (ranks == 1) return "batch " + batch;
  return "batch " + batch + " per rank x " + std::to_string(ranks) + " ranks (global batch " +
         std::to_string(config.batch * ranks) + ")" + strategy +
         (sync->strategy() == dist::Strategy::Average
              ? " every " + std::to_string(sync->averageEvery()) + " steps"
              : "") +
         exchangeDescription(config.dist);
}

// The model summary table as log lines, and as a "summary" record.
void announceModel(RunLog& log, nn::Module& model, const Shape& inputShape) {
  nn::ModelSummary summary = nn::summarize(model, inputShape);
  std::istringstream table(summary.table());
  for (std::string line; std::getline(table, line);) log.line(line);
  nlohmann::json record = summary.toJson();
  record["type"] = "summary";
  log.record(record);
}

// Curve points kept in the record (the report draws them).
constexpr int64_t curvePoints = 201;

// The confusion matrix at `threshold` and, for two classes, the ROC and precision-recall curves.
void addScoreDetails(const ScoreTable& scores, double threshold, nlohmann::json& record) {
  const metrics::ConfusionMatrix confusion =
      metrics::confusionMatrix(scores.predictions(threshold), scores.labels, scores.classes);
  nlohmann::json rows = nlohmann::json::array();
  for (int64_t a = 0; a < confusion.classes; ++a)
    rows.push_back(std::vector<int64_t>(confusion.counts.begin() + a * confusion.classes,
                                        confusion.counts.begin() + (a + 1) * confusion.classes));
  record["confusion"] = rows;
  if (scores.classes == 2) record["threshold"] = threshold;
  const std::vector<uint8_t> positive = scores.isClass(1);
  const bool bothClasses = std::any_of(positive.begin(), positive.end(), [](uint8_t p) { return p; }) &&
                           std::any_of(positive.begin(), positive.end(), [](uint8_t p) { return !p; });
  if (scores.classes != 2 || !bothClasses) return;
  const std::vector<double> p1 = scores.probabilitiesOf(1);
  const metrics::Curve roc = metrics::thinned(metrics::rocCurve(p1, positive), curvePoints);
  const metrics::Curve pr = metrics::thinned(metrics::precisionRecallCurve(p1, positive), curvePoints);
  record["roc"] = {{"fpr", roc.x}, {"tpr", roc.y}};
  record["pr"] = {{"recall", pr.x}, {"precision", pr.y}};
}

}  // namespace

std::string modelName(const RunConfig& config) {
  return config.model.file.empty() ? config.model.name : config.model.file;
}

std::string defaultRunDir(const std::string& model) {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  std::ostringstream s;
  std::string stem = model.substr(model.find_last_of('/') + 1);
  stem = stem.substr(0, stem.find('.'));
  s << "runs/" << stem << "-" << std::put_time(&tm, "%Y%m%d-%H%M%S");
  return s.str();
}

void recordStart(const RunConfig& config, const std::string& command, const std::string& name,
                 dist::Communicator& comm, Run::Parts& parts) {
  RunLog& log = *parts.log;
  nn::Module& model = parts.model();
  const dist::Synchronizer* sync = parts.sync.get();
  const int ranks = comm.size();
  const RunData& sets = parts.data;
  log.record({{"type", "config"},
              {"command", command},
              {"shoal", version()},
              {"model", model.spec()},
              {"parameters", model.parameterCount()},
              {"data", {{"source", sets.description}, {"train", parts.trainSamples},
                        {"test", parts.testSamples}, {"classes", sets.numClasses}}},
              {"batch", config.batch},
              {"precision", nn::precisionName(parts.precision)},
              {"dist", {{"strategy", sync ? dist::strategyName(sync->strategy()) : "none"},
                        {"ranks", ranks},
                        {"average_every", sync ? sync->averageEvery() : 0},
                        {"shard", config.dist.shard},
                        {"compress", config.dist.compress},
                        {"overlap", config.dist.overlap}}},
              {"epochs", config.end.epochs},
              {"seed", config.seed},
              {"criterion", parts.criterion->typeName()},
              {"optim", parts.method->config()},
              {"hardware", hardwareDescription()}});
  if (!log.dir().empty()) io::writeFileAtomically(log.dir() + "/config.json", config.toJson().dump(2) + "\n");
  const std::string perRank = ranks > 1 ? " per rank" : "";
  log.line("shoal " + version() + ": training " + name + " (" +
           std::to_string(model.parameterCount()) + " parameters) on " + sets.description + ": " +
           std::to_string(sets.train->size()) + " training samples" +
           (sets.test ? ", " + std::to_string(sets.test->size()) + " test samples" : "") + perRank +
           ", " + batchDescription(config, sync, ranks) + ", " + parts.method->name() + ", " +
           std::to_string(computeThreads()) + " threads" + perRank + ", " +
           std::string(nn::precisionName(parts.precision)));
  if (!parts.precisionNote.empty()) log.line(parts.precisionNote);
  announceModel(log, parts.model(), parts.loaded.info.inputShape);
}

void recordTraining(const TrainSummary& summary, Run::Parts& parts) {
  std::ostringstream done;
  done << std::fixed << std::setprecision(0) << "trained " << summary.iterations
       << " iterations in " << summary.epochs << " epochs, " << summary.samplesPerSecond
       << " samples/s";
  parts.log->line(done.str());
  if (summary.stoppedBySignal == 0 && !summary.lastCheckpoint.empty())
    parts.log->line("last checkpoint: " + summary.lastCheckpoint);
}

void recordTest(const std::vector<ValidationResult>& results, const ScoreTable& scores, double threshold,
                Run::Parts& parts) {
  std::ostringstream line;
  line << std::fixed << std::setprecision(4);
  nlohmann::json record{{"type", "test"}};
  for (const auto& r : results) {
    const std::string shown = r.name == "Top1Accuracy" ? "accuracy" : r.name == "Loss" ? "loss" : r.name;
    line << (line.tellp() > 0 ? "  " : "") << "test " << shown << ": " << r.value();
    record[r.name] = r.value();
    if (!r.perClass.empty()) record["per_class"][r.name] = r.perClass;
  }
  if (!results.empty()) record["samples"] = static_cast<int64_t>(results[0].count);
  if (scores.size() > 0) addScoreDetails(scores, threshold, record);
  parts.log->line(line.str());
  parts.log->record(record);
}

}  // namespace shoal::train
