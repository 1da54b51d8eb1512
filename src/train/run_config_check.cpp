// Checking a RunConfig's values and combinations, naming the configuration keys at fault.
#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <sstream>

#include "shoal/error.hpp"
#include "shoal/train/class_weights.hpp"
#include "shoal/train/run_config.hpp"
#include "shoal/train/validation.hpp"

namespace shoal::train {
namespace {

void expectOneOf(const std::string& key, const std::string& value,
                 std::initializer_list<const char*> allowed) {
  std::string list;
  for (const char* a : allowed) {
    if (value == a) return;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  throw ConfigError(key, "\"" + key + "\": expected one of " + list + ", got '" + value + "'");
}

void expectPositive(const std::string& key, double value) {
  if (!(value > 0)) throw ConfigError(key, "\"" + key + "\" must be positive");
}

void expectNotNegative(const std::string& key, double value) {
  if (!(value >= 0)) throw ConfigError(key, "\"" + key + "\" must not be negative");
}

}  // namespace

int64_t RunConfig::checkpointEveryIterations() const {
  const std::string& every = checkpoint.every;
  if (every == "epoch") return 0;
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(every.data(), every.data() + every.size(), n);
  if (ec != std::errc() || ptr != every.data() + every.size() || n <= 0)
    throw ConfigError("checkpoint.every", "\"checkpoint.every\": expected 'epoch' or a positive "
                                          "number of iterations, got '" + every + "'");
  return n;
}

void RunConfig::check() const {
  expectPositive("batch", static_cast<double>(batch));
  expectPositive("end.epochs", static_cast<double>(end.epochs));
  expectNotNegative("end.iterations", static_cast<double>(end.iterations));
  expectNotNegative("end.min_loss", end.minLoss);
  expectNotNegative("validate_every", static_cast<double>(validateEvery));
  expectNotNegative("threads", static_cast<double>(threads));
  expectNotNegative("stats_every", static_cast<double>(statsEvery));
  expectNotNegative("data.train_limit", static_cast<double>(data.trainLimit));
  expectNotNegative("data.test_limit", static_cast<double>(data.testLimit));
  expectOneOf("loss", loss, {"auto", "nll", "ce", "mse"});
  if (loss == "mse" && classWeight != "none")
    throw ConfigError("class_weight", "\"class_weight\" weights classes: \"loss\" mse has numeric targets, not classes");
  checkClassWeightSpec(classWeight);
  // A validation method by name, its UsageError a ConfigError naming `key`.
  auto methodNamed = [](const char* key, const std::string& name) {
    try {
      return validationMethodNamed(name);
    } catch (const UsageError& e) {
      throw ConfigError(key, "\"" + std::string(key) + "\": " + e.what());
    }
  };
  std::vector<ValidationMethod> methods;
  for (const std::string& name : validation.methods) methods.push_back(methodNamed("validation.methods", name));
  if (loss == "mse")
    for (size_t i = 0; i < methods.size(); ++i)
      if (!methods[i].takesNumericTargets())
        throw ConfigError("validation.methods", "\"validation.methods\": '" + validation.methods[i] +
                                                "' needs class labels; with \"loss\" mse give loss and/or mae");
  expectOneOf("precision", precision, {"fp32", "bf16", "auto"});
  if (!(validation.threshold >= 0 && validation.threshold <= 1))
    throw ConfigError("validation.threshold", "\"validation.threshold\" must be in [0, 1]");
  expectNotNegative("validation.batch", static_cast<double>(validation.batch));
  if (!(validation.split >= 0 && validation.split < 1))
    throw ConfigError("validation.split", "\"validation.split\" must be in [0, 1) (0: no split)");
  if (validation.split > 0 && dist.shard == "local")
    throw ConfigError("validation.split", "\"validation.split\" holds out from the whole training set, but "
                                          "\"dist.shard\" local gives every rank its own: give a validation set instead");
  if (validation.stratify && validation.split == 0)
    throw ConfigError("validation.stratify", "\"validation.stratify\" applies to \"validation.split\": give a share to hold out");
  expectNotNegative("validation.early_stop", static_cast<double>(validation.earlyStop));
  if (!validation.earlyStopMetric.empty()) {
    if (validation.earlyStop == 0)
      throw ConfigError("validation.early_stop_metric",
                        "\"validation.early_stop_metric\" applies to early stopping: give \"validation.early_stop\" a patience");
    const std::string wanted = methodNamed("validation.early_stop_metric", validation.earlyStopMetric).name();
    const bool computed = std::any_of(methods.begin(), methods.end(),
                                      [&](const ValidationMethod& m) { return m.name() == wanted; });
    if (!computed)
      throw ConfigError("validation.early_stop_metric", "\"validation.early_stop_metric\" " + wanted +
                                                            " is not among \"validation.methods\"");
  }
  if (dist.shard == "local" && !data.trainCsv.empty() && (model.name == "tabular" || data.table))
    throw ConfigError("dist.shard", "\"dist.shard\" local keeps the training set each rank is given whole, but a "
                                    "table (\"data.train_csv\" read as a table) is split among the ranks by byte "
                                    "range: leave \"dist.shard\" out (each rank reads its own part of the file)");
  expectOneOf("data.preprocessing", data.preprocessing, {"none", "scale", "standardize"});
  if (data.preprocessing != "none" && data.trainCsv.empty())
    throw ConfigError("data.preprocessing",
                      "\"data.preprocessing\" applies to CSV training data (\"data.train_csv\")");

  expectOneOf("data.impute", data.impute, {"mean", "median"});
  expectOneOf("data.type_errors", data.typeErrors, {"error", "missing"});
  expectPositive("data.embed_threshold", static_cast<double>(data.embedThreshold));
  expectPositive("data.max_categories", static_cast<double>(data.maxCategories));
  if (!(data.holdout >= 0 && data.holdout < 1))
    throw ConfigError("data.holdout", "\"data.holdout\": expected a share in [0, 1), got " + std::to_string(data.holdout));

  expectOneOf("optim.method", optim.method, {"sgd", "adam", "lbfgs"});
  if (optim.lr) expectPositive("optim.lr", *optim.lr);
  expectNotNegative("optim.weight_decay", optim.weightDecay);
  expectNotNegative("optim.warmup", static_cast<double>(optim.warmup));
  expectPositive("optim.lbfgs_iterations", static_cast<double>(optim.lbfgsIterations));
  for (auto [key, value] : {std::pair{"optim.momentum", optim.momentum}, {"optim.dampening", optim.dampening}})
    if (!(value >= 0 && value <= 1)) throw ConfigError(key, std::string(1, '"').append(key).append("\" must be in [0, 1]"));
  for (auto [key, value] : {std::pair{"optim.beta1", optim.beta1}, {"optim.beta2", optim.beta2}})
    if (!(value >= 0 && value < 1)) throw ConfigError(key, std::string(1, '"').append(key).append("\" must be in [0, 1)"));
  expectPositive("optim.epsilon", optim.epsilon);

  expectOneOf("dist.strategy", dist.strategy, {"allreduce", "average", "lbfgs"});
  expectOneOf("dist.shard", dist.shard, {"contiguous", "strided", "local"});
  expectOneOf("dist.hierarchical", dist.hierarchical, {"auto", "on", "off"});
  expectNotNegative("dist.average_every", static_cast<double>(dist.averageEvery));
  expectNotNegative("dist.comm_timeout", dist.commTimeout);
  expectOneOf("dist.comm", dist.comm, {"auto", "mpi", "gloo"});
  expectNotNegative("dist.world_size", static_cast<double>(dist.worldSize));
  if (dist.rank < -1) throw ConfigError("dist.rank", "\"dist.rank\" must not be negative");
  if (dist.worldSize > 0 && dist.rank >= dist.worldSize)
    throw ConfigError("dist.rank", "\"dist.rank\" " + std::to_string(dist.rank) + " is out of range for "
                                   "\"dist.world_size\" " + std::to_string(dist.worldSize) + " (ranks 0-" +
                                   std::to_string(dist.worldSize - 1) + ")");
  expectOneOf("dist.compress", dist.compress, {"none", "bf16", "threshold"});
  if (!(dist.thresholdDensity > 0 && dist.thresholdDensity <= 1))
    throw ConfigError("dist.threshold_density", "\"dist.threshold_density\" must be in (0, 1], got " +
                                                    (std::ostringstream() << dist.thresholdDensity).str());
  expectPositive("dist.bucket_mb", dist.bucketMb);
  if (dist.compress != "none" && dist.strategy != "allreduce")
    throw ConfigError("dist.compress", "\"dist.compress\" applies to \"dist.strategy\" allreduce");
  if (dist.overlap && dist.strategy != "allreduce")
    throw ConfigError("dist.overlap", "\"dist.overlap\" applies to \"dist.strategy\" allreduce");
  if (dist.averageEvery > 0 && dist.strategy != "average")
    throw ConfigError("dist.average_every", "\"dist.average_every\" applies to \"dist.strategy\" average");
  if (dist.strategy == "lbfgs" && optim.method != "lbfgs")
    throw ConfigError("dist.strategy",
                      "\"dist.strategy\" lbfgs runs full-batch L-BFGS: give \"optim.method\" lbfgs");
  if (dist.strategy == "average" && optim.method == "lbfgs")
    throw ConfigError("dist.strategy",
                      "\"dist.strategy\" average needs SGD or Adam (L-BFGS histories cannot be "
                      "averaged): use \"dist.strategy\" lbfgs or \"dist.strategy\" allreduce with "
                      "\"optim.method\" lbfgs");
  if (dist.strategy == "average" && end.iterations == 0 && end.minLoss > 0)
    throw ConfigError("end.min_loss",
                      "\"end.min_loss\" needs the same loss on every rank: use \"dist.strategy\" "
                      "allreduce or lbfgs (with average the ranks' losses differ between averagings)");

  checkpointEveryIterations();
  if (checkpoint.keep < 1) throw ConfigError("checkpoint.keep", "\"checkpoint.keep\" must be at least 1");
  if (!resume.empty() && !model.file.empty())
    throw ConfigError("resume", "\"resume\" takes the model from the checkpoint: drop \"model.file\"");
}

}  // namespace shoal::train
