// One table from configuration keys to `shoal train` flags, and rewriting messages with it.
#include "flag_names.hpp"

#include "shoal/error.hpp"

namespace shoal::cli {
namespace {

const std::map<std::string, std::string>& flagTable() {
  static const std::map<std::string, std::string> table{
      {"model.name", "--model"}, {"model.hidden", "--hidden"}, {"model.file", "--model-file"},
      {"data.named", "--data"}, {"data.train_images", "--train-images"},
      {"data.train_labels", "--train-labels"}, {"data.test_images", "--test-images"},
      {"data.test_labels", "--test-labels"}, {"data.train_csv", "--train-csv"},
      {"data.test_csv", "--test-csv"}, {"data.label_column", "--label-col"},
      {"data.no_label", "--no-label"}, {"data.train_limit", "--train-limit"},
      {"data.test_limit", "--test-limit"}, {"data.preprocessing", "--scale/--standardize"},
      {"data.table", "--table"}, {"data.categorical", "--categorical"}, {"data.numeric", "--numeric"},
      {"data.ignore", "--ignore"}, {"data.embed", "--embed"}, {"data.one_hot", "--one-hot"},
      {"data.missing", "--missing"}, {"data.impute", "--impute"}, {"data.embed_threshold", "--embed-threshold"},
      {"data.max_categories", "--max-categories"}, {"data.type_errors", "--type-errors"},
      {"data.holdout", "--holdout"}, {"data.cache", "--cache"},
      {"loss", "--loss"}, {"class_weight", "--class-weight"},
      {"validation.methods", "--val-methods"}, {"validation.threshold", "--threshold"},
      {"validation.batch", "--validate-batch"},
      {"validation.early_stop", "--early-stop"}, {"validation.early_stop_metric", "--early-stop-metric"},
      {"validation.split", "--validation-split"}, {"validation.stratify", "--stratify"}, {"optim.method", "--optim"}, {"optim.lr", "--lr"},
      {"optim.momentum", "--momentum"}, {"optim.dampening", "--dampening"},
      {"optim.nesterov", "--nesterov"}, {"optim.weight_decay", "--weight-decay"},
      {"optim.beta1", "--beta1"}, {"optim.beta2", "--beta2"}, {"optim.epsilon", "--epsilon"},
      {"optim.schedule", "--lr-schedule"}, {"optim.warmup", "--warmup"},
      {"optim.lbfgs_iterations", "--lbfgs-iterations"}, {"optim.line_search", "--line-search"},
      {"end.epochs", "--epochs"}, {"end.iterations", "--iterations"}, {"end.min_loss", "--min-loss"},
      {"batch", "--batch"}, {"precision", "--precision"}, {"seed", "--seed"}, {"validate_every", "--validate-every"},
      {"dist.strategy", "--dist"}, {"dist.average_every", "--average-every"},
      {"dist.shard", "--shard"}, {"dist.comm_timeout", "--comm-timeout"},
      {"dist.shared_memory", "--shared-memory"}, {"dist.comm", "--comm"},
      {"dist.rendezvous", "--rendezvous"}, {"dist.world_size", "--world-size"}, {"dist.rank", "--rank"},
      {"dist.job_secret_file", "--job-secret-file"}, {"dist.compress", "--compress"},
      {"dist.threshold_density", "--threshold-density"}, {"dist.overlap", "--overlap"},
      {"dist.bucket_mb", "--bucket-mb"}, {"dist.hierarchical", "--hierarchical"},
      {"checkpoint.dir", "--checkpoint"},
      {"checkpoint.every", "--checkpoint-every"}, {"checkpoint.keep", "--keep"},
      {"resume", "--resume"}, {"threads", "--threads"}, {"profile", "--profile"},
      {"stats_every", "--stats-every"}, {"output.dir", "--out"}, {"output.quiet", "--quiet"},
      {"output.report", "--out"}};
  return table;
}

void replaceAll(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

}  // namespace

std::string withFlagNames(const std::string& message, const std::map<std::string, std::string>& overrides) {
  std::string text = message;
  for (const auto& [key, flag] : overrides) replaceAll(text, "\"" + key + "\"", flag);
  for (const auto& [key, flag] : flagTable()) replaceAll(text, "\"" + key + "\"", flag);
  return text;
}

const std::map<std::string, std::string>& dataCsvFlag() {
  static const std::map<std::string, std::string> flags{{"data.test_csv", "--data-csv"}};
  return flags;
}

std::string errorMessage(const std::exception& error, const std::map<std::string, std::string>& overrides) {
  if (const auto* config = dynamic_cast<const ConfigError*>(&error))
    return withFlagNames(config->message(), overrides);
  return error.what();
}

}  // namespace shoal::cli
