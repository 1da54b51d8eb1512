// Checking a RunConfig's values and combinations, naming the configuration keys at fault.
#include <charconv>
#include <initializer_list>

#include "shoal/error.hpp"
#include "shoal/train/run_config.hpp"

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
  expectOneOf("loss", loss, {"auto", "nll", "ce"});
  expectOneOf("precision", precision, {"fp32", "bf16", "auto"});
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

  expectOneOf("dist.strategy", dist.strategy, {"allreduce", "average", "lbfgs"});
  expectOneOf("dist.shard", dist.shard, {"contiguous", "strided"});
  expectNotNegative("dist.average_every", static_cast<double>(dist.averageEvery));
  expectNotNegative("dist.comm_timeout", dist.commTimeout);
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
