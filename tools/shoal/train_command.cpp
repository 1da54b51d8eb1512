// `shoal train`: flags (and --config FILE) -> train::RunConfig -> train::Run.
#include <csignal>
#include <optional>

#include "commands.hpp"
#include "data_options.hpp"
#include "dist_options.hpp"
#include "fault_injection.hpp"
#include "optim_options.hpp"
#include "shoal/train/run.hpp"

namespace shoal::cli {
namespace {

volatile std::sig_atomic_t stopSignal = 0;

void requestStop(int signal) { stopSignal = signal; }

// SIGINT and SIGTERM let the current step finish, then training stops (with a checkpoint).
void installStopHandlers() {
  struct sigaction action {};
  action.sa_handler = requestStop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

void addFlags(CLI::App& sub, train::RunConfig& c) {
  sub.add_option("--model", c.model.name, "Built-in model (mlp, lenet5, resnet, tabular) or a JSON spec file")
      ->capture_default_str();
  sub.add_option("--model-file", c.model.file, "Continue training a saved model (.shoal)");
  sub.add_option("--hidden", c.model.hidden, "mlp hidden layer sizes, e.g. --hidden 1000 or 512,256")
      ->delimiter(',')
      ->capture_default_str();
  addDataOptions(sub, c.data, /*training=*/true);
  addOptimOptions(sub, c.optim);
  sub.add_option("--epochs", c.end.epochs, "Epochs to train")->capture_default_str()->check(CLI::PositiveNumber);
  sub.add_option("--iterations", c.end.iterations, "Stop after this many steps instead (MaxIteration)")
      ->check(CLI::PositiveNumber);
  sub.add_option("--validate-batch", c.validation.batch, "Batch size of validation (default: --batch)")
      ->check(CLI::PositiveNumber);
  sub.add_option("--min-loss", c.end.minLoss, "Stop when a step's loss falls below this (MinLoss)")
      ->check(CLI::PositiveNumber);
  sub.add_option("--batch", c.batch, "Mini-batch size")->capture_default_str()->check(CLI::PositiveNumber);
  sub.add_option("--loss", c.loss,
                 "Criterion: nll (ClassNLL, for LogSoftMax outputs), ce (CrossEntropy, for raw "
                 "scores), auto (nll when the model ends in LogSoftMax)")
      ->check(CLI::IsMember({"auto", "nll", "ce"}))
      ->capture_default_str();
  sub.add_option("--precision", c.precision,
                 "What matrix products and convolutions read: fp32, bf16 (accumulated in fp32; "
                 "master weights, gradients and optimiser state stay fp32) or auto (bf16 where the "
                 "processor has AMX-bf16 or AVX512-BF16, see shoal info)")
      ->check(CLI::IsMember({"fp32", "bf16", "auto"}))
      ->capture_default_str();
  sub.add_option("--seed", c.seed, "Seed for initialisation, shuffling and dropout")->capture_default_str();
  sub.add_option_function<std::string>(
      "--out", [&c](const std::string& dir) { c.output.dir = dir, c.output.report = true; },
      "Run directory for model.shoal, metrics.jsonl, train.log, config.json and report.html "
      "(default: runs/<model>-<date>-<time>, without the report)");
  sub.add_option("--validate-every", c.validateEvery, "Validate every N iterations instead of every epoch")
      ->check(CLI::PositiveNumber);
  sub.add_option("--val-methods", c.validation.methods,
                 std::string("What validation and the test compute, e.g. top1,loss,auc: ") +
                     train::validationMethodNames() +
                     " (auc, pr_auc: ROC and precision-recall AUC; logloss; precision, recall, f1 at --threshold; "
                     "per class against the rest for more than two classes)")
      ->delimiter(',')
      ->capture_default_str();
  sub.add_option("--threshold", c.validation.threshold,
                 "Two classes: predict class 1 where its probability is at least this (precision, recall, F1, "
                 "the confusion matrix)")
      ->capture_default_str();
  sub.add_option("--class-weight", c.classWeight,
                 "Weight each class in the loss: none, balanced (n_samples / (classes * n_class) of the "
                 "training set) or w0,w1,...")
      ->capture_default_str();
  sub.add_option("--validation-split", c.validation.split,
                 "Hold out this share of the training set (seeded) and validate on it instead of the test set");
  sub.add_flag("--stratify", c.validation.stratify,
               "With --validation-split: hold out the same share of every class");
  sub.add_option("--early-stop", c.validation.earlyStop,
                 "Stop after N validations without improvement and keep the best one's weights "
                 "(needs --validation-split: it never chooses on the test set)");
  sub.add_option("--early-stop-metric", c.validation.earlyStopMetric,
                 "The validation method early stopping watches (default: the first of --val-methods); "
                 "loss, mae and logloss are lower-better, the others higher-better");
  sub.add_option("--threads", c.threads, "Compute threads (default: the cores this process may use (its CPU affinity), shared out among the ranks on this machine)")
      ->check(CLI::PositiveNumber);
  sub.add_flag("--quiet", c.output.quiet, "Only errors on the terminal (files are still written)");
  sub.add_option("--checkpoint", c.checkpoint.dir,
                 "Directory for checkpoints (model, optimiser state, position, random state)");
  sub.add_option("--checkpoint-every", c.checkpoint.every, "When to checkpoint: 'epoch' or every N iterations")
      ->capture_default_str();
  sub.add_option("--keep", c.checkpoint.keep, "Checkpoints kept (the newest)")->capture_default_str()->check(CLI::PositiveNumber);
  sub.add_option("--resume", c.resume,
                 "Continue from the newest valid checkpoint in DIR (give the same flags as the first run)");
  addDistOptions(sub, c.dist);
  sub.add_flag("--profile", c.profile,
               "Time each layer's forward and backward, the data and the optimiser: a table per "
               "epoch and \"profile\" in the epoch records of metrics.jsonl");
  sub.add_option("--stats-every", c.statsEvery,
                 "Record per-layer weight and gradient norms and update ratios every N steps (0: off)")
      ->check(CLI::NonNegativeNumber);
}

// "shoal train --data fashion-mnist --epochs 2": the flags given, recorded with the run.
std::string commandLine(const CLI::App& sub) {
  std::string text = "shoal train";
  for (const auto& opt : sub.get_options()) {
    if (opt->count() == 0 || opt->get_single_name() == "help") continue;
    const std::string name = "--" + opt->get_single_name();
    if (opt->get_expected_max() == 0) text += " " + name;  // a flag
    else for (const auto& r : opt->results()) text += " " + name + " " + r;
  }
  return text;
}

// --config FILE: the file's configuration in `bound`, then the other flags given applied again.
void applyConfigFile(CLI::App& sub, const std::string& file, train::RunConfig& bound) {
  if (file.empty()) return;
  bound = train::RunConfig::fromFile(file);
  for (const auto& opt : sub.get_options())
    if (opt->count() > 0 && opt->get_single_name() != "config") opt->run_callback();
}

int train(const train::RunConfig& config, const std::string& command) {
  train::Run run(config, train::connectForRun(config, "--comm-timeout"));
  try {
    installStopHandlers();
    run.setCommand(command).setStopCheck([] { return static_cast<int>(stopSignal); });
    std::optional<FaultInjection> fault = FaultInjection::forRank(run.comm().rank());
    if (fault) run.addObserver(&*fault);
    train::RunResult result = run.execute();
    const int signal = result.summary.stoppedBySignal;
    if (signal == 0) return 0;
    run.log().line(std::string("stopped by ") + (signal == SIGINT ? "SIGINT" : "SIGTERM") +
                   " after iteration " + std::to_string(result.summary.iterations) + "; " +
                   (result.summary.lastCheckpoint.empty()
                        ? std::string("checkpointing is off (--checkpoint DIR)")
                        : "checkpoint: " + result.summary.lastCheckpoint + " (continue with --resume " +
                              result.checkpointDir + ")") +
                   "; model: " + result.modelPath);
    return 128 + signal;
  } catch (const std::exception& e) {
    if (run.comm().size() == 1) throw;
    abortJob(run.comm(), e);
  }
}

}  // namespace

Subcommand addTrainCommand(CLI::App& app) {
  auto config = std::make_shared<train::RunConfig>();
  auto file = std::make_shared<std::string>();
  CLI::App* sub = app.add_subcommand(
      "train", "Train a model and save it with its metrics. --config FILE (a run's config.json) "
               "sets every setting; flags given besides it override the file's values");
  sub->add_option("--config", *file, "Run configuration (JSON, e.g. runs/x/config.json) to start from");
  addFlags(*sub, *config);
  return {sub, [config, file, sub] {
            applyConfigFile(*sub, *file, *config);
            return train(*config, commandLine(*sub));
          }};
}

}  // namespace shoal::cli
