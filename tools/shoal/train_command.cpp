// `shoal train`: build or load a model, train it on the chosen data, evaluate and save it.
#include <charconv>
#include <chrono>
#include <csignal>
#include <iostream>
#include <optional>
#include <cmath>
#include <ctime>
#include <iomanip>
#include <sstream>
#include <thread>

#include "commands.hpp"
#include "data_options.hpp"
#include "dist_options.hpp"
#include "fault_injection.hpp"
#include "model_loading.hpp"
#include "optim_options.hpp"
#include "training_views.hpp"
#include "shoal/backend/cpu_info.hpp"
#include "shoal/error.hpp"
#include "shoal/io/checkpoint.hpp"
#include "shoal/train/layer_statistics.hpp"
#include "shoal/train/optimizer.hpp"
#include "shoal/train/rank_results.hpp"
#include "shoal/train/step_profiler.hpp"
#include "shoal/version.hpp"

namespace shoal::cli {
namespace {

struct TrainOptions {
  std::string model = "mlp";
  std::string modelFile;
  std::vector<int64_t> hidden{1000};
  DataOptions data;
  OptimOptions optim;
  int64_t epochs = 10;
  int64_t iterations = 0;
  double minLoss = 0;
  int64_t batch = 128;
  std::string loss = "auto";
  uint64_t seed = 1;
  std::string out;
  int64_t validateEvery = 0;
  int threads = 0;
  bool quiet = false;
  std::string checkpoint;
  std::string checkpointEvery = "epoch";
  int keep = 3;
  std::string resume;
  int64_t statsEvery = 0;
  bool profile = false;
  DistOptions dist;
};

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

// "batch 64 per rank x 2 ranks (global batch 128)", "full batch (L-BFGS over 60000 samples)".
std::string batchDescription(const TrainOptions& o, const DistSetup& job) {
  const int ranks = job.comm->size();
  std::string strategy = job.sync ? ", --dist " + dist::strategyName(job.sync->strategy()) : "";
  if (job.sync && job.sync->strategy() == dist::Strategy::Lbfgs)
    return "full batch per step (in chunks of " + std::to_string(o.batch) + ")" + strategy;
  if (ranks == 1) return "batch " + std::to_string(o.batch);
  return "batch " + std::to_string(o.batch) + " per rank x " + std::to_string(ranks) +
         " ranks (global batch " + std::to_string(o.batch * ranks) + ")" + strategy +
         (job.sync->strategy() == dist::Strategy::Average
              ? " every " + std::to_string(job.sync->averageEvery()) + " steps"
              : "");
}

int64_t checkpointInterval(const std::string& every) {
  if (every == "epoch") return 0;
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(every.data(), every.data() + every.size(), n);
  if (ec != std::errc() || ptr != every.data() + every.size() || n <= 0)
    throw UsageError("--checkpoint-every: expected 'epoch' or a positive number of iterations, got '" +
                     every + "'");
  return n;
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

// Threads per rank: --threads, else the cores shared out among the ranks on this machine.
int threadsFor(const TrainOptions& o, const dist::Communicator& comm) {
  if (o.threads > 0 || comm.size() == 1) return o.threads;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / comm.localSize());
}

int runTraining(TrainOptions& o, const std::vector<std::string>& commandLine, DistSetup& job) {
  const int rank = job.comm->rank(), ranks = job.comm->size();
  const bool rank0 = rank == 0;
  backend::setThreadCount(threadsFor(o, *job.comm));
  if (o.batch <= 0) throw UsageError("--batch must be positive");
  int64_t checkpointEvery = checkpointInterval(o.checkpointEvery);
  installStopHandlers();
  nn::manualSeed(o.seed);
  std::optional<io::LoadedCheckpoint> resumed;
  if (!o.resume.empty()) {
    if (!o.modelFile.empty()) throw UsageError("--resume takes the model from the checkpoint: drop --model-file");
    resumed = io::loadNewestCheckpoint(o.resume, [](const std::string& warning) {
      std::cerr << "shoal: warning: " << warning << std::endl;
    });
    if (o.checkpoint.empty()) o.checkpoint = o.resume;
  }
  LoadedData sets = loadData(o.data, /*training=*/true, 0, false);
  data::Dataset& train = *sets.train;
  // Pixel scaling for images, fitted scaling for CSV (--scale / --standardize).
  data::Preprocessing pre = train.preprocessing();
  if (o.data.scale) pre = data::Preprocessing::minMax(train.rawFeatures(), train.sampleShape().numel());
  if (o.data.standardize)
    pre = data::Preprocessing::standardize(train.rawFeatures(), train.sampleShape().numel());

  const int64_t trainSamples = train.size(), testSamples = sets.test ? sets.test->size() : 0;
  if (job.distributed()) {  // keep only this rank's shards of the data
    std::string shown = "rank " + std::to_string(rank) + "/" + std::to_string(ranks) +
                        ": training shard " + job.shard.describe(train.size());
    train = data::takeShard(train, job.shard);
    if (sets.test) {
      shown += "; test shard " + job.shard.describe(sets.test->size());
      *sets.test = data::takeShard(*sets.test, job.shard);
    }
    if (train.size() == 0)
      throw UsageError("rank " + std::to_string(rank) + " has no training samples: " +
                       std::to_string(ranks) + " ranks for a smaller data set");
    std::cout << shown << std::endl;
  }

  io::LoadedModel loaded;
  if (resumed) {
    loaded.model = io::restoreModel(resumed->checkpoint, resumed->path);
    loaded.info = resumed->checkpoint.info;
    pre = loaded.info.preprocessing;
  } else if (!o.modelFile.empty()) {
    loaded = io::loadModel(o.modelFile);
    if (sets.numClasses > loaded.info.classes)
      throw UsageError("the data has " + std::to_string(sets.numClasses) + " classes but " +
                       o.modelFile + " predicts " + std::to_string(loaded.info.classes));
    pre = loaded.info.preprocessing;
  } else {
    loaded = buildNamedModel(o.model, train.sampleShape(), sets.numClasses, {o.hidden});
    loaded.info.preprocessing = pre;
  }
  fitDataToModel(train, loaded.info, "the training set");
  if (sets.test) fitDataToModel(*sets.test, loaded.info, "the test set");
  nn::Module& model = *loaded.model;

  std::string outDir = o.out.empty() ? defaultRunDir(o.modelFile.empty() ? o.model : o.modelFile) : o.out;
  // Only rank 0 prints and writes files.
  train::RunLog log(rank0 ? outDir : "", o.quiet || !rank0, /*append=*/resumed.has_value());
  auto criterion = criterionFor(o.loss, model);
  auto method = makeOptimMethod(o.optim);

  std::string commandText;
  for (const auto& a : commandLine) commandText += (commandText.empty() ? "" : " ") + a;
  log.record({{"type", "config"},
              {"command", commandText},
              {"shoal", version()},
              {"model", model.spec()},
              {"parameters", model.parameterCount()},
              {"data", {{"source", sets.description}, {"train", trainSamples}, {"test", testSamples},
                        {"classes", sets.numClasses}}},
              {"batch", o.batch},
              {"dist", {{"strategy", job.sync ? dist::strategyName(job.sync->strategy()) : "none"},
                        {"ranks", ranks},
                        {"average_every", job.sync ? job.sync->averageEvery() : 0},
                        {"shard", o.dist.shard}}},
              {"epochs", o.epochs},
              {"seed", o.seed},
              {"criterion", criterion->typeName()},
              {"optim", method->config()},
              {"hardware", {{"threads", backend::threadCount()},
                            {"isa", backend::instructionSet()},
                            {"onednn", backend::oneDnnVersion()}}}});
  log.line("shoal " + version() + ": training " + (o.modelFile.empty() ? o.model : o.modelFile) +
           " (" + std::to_string(model.parameterCount()) + " parameters) on " + sets.description +
           ": " + std::to_string(train.size()) + " training samples" +
           (sets.test ? ", " + std::to_string(sets.test->size()) + " test samples" : "") +
           (ranks > 1 ? " per rank" : "") +
           ", " + batchDescription(o, job) + ", " + method->name() + ", " +
           std::to_string(backend::threadCount()) + " threads" +
           (ranks > 1 ? " per rank" : ""));
  announceModel(log, model, loaded.info.inputShape);

  train::Trigger end = o.iterations > 0 ? train::MaxIteration(o.iterations)
                       : o.minLoss > 0  ? train::MinLoss(o.minLoss)
                                        : train::MaxEpoch(o.epochs);
  train::Optimizer optimizer(model, train, criterion, method, end, o.batch);
  optimizer.setSeed(o.seed).setRunLog(&log);
  if (!o.checkpoint.empty())
    optimizer.setCheckpointing({o.checkpoint, checkpointEvery, o.keep}, loaded.info);
  if (resumed) {
    optimizer.resumeFrom(resumed->checkpoint, resumed->path);
    log.line("resuming from " + resumed->path);
  }
  optimizer.setStopCheck([] { return static_cast<int>(stopSignal); });
  optimizer.setDistributed(job.sync.get());
  std::optional<FaultInjection> fault = FaultInjection::forRank(rank);
  if (fault) optimizer.addObserver(&*fault);
  std::optional<train::LayerStatistics> layerStats;
  if (o.statsEvery > 0) optimizer.addObserver(&layerStats.emplace(model, o.statsEvery));
  std::optional<train::StepProfiler> profiler;
  if (o.profile) optimizer.addObserver(&profiler.emplace(model, log));
  std::vector<train::ValidationMethod> methods{train::Top1Accuracy(), train::Loss()};
  if (sets.test)
    optimizer.setValidation(o.validateEvery > 0 ? train::SeveralIteration(o.validateEvery)
                                                : train::EveryEpoch(),
                            *sets.test, methods);
  train::TrainSummary summary = optimizer.optimize();

  std::string modelPath = outDir + "/model.shoal";
  if (rank0) io::saveModel(modelPath, model, loaded.info);
  std::ostringstream done;
  done << std::fixed << std::setprecision(0) << "trained " << summary.iterations
       << " iterations in " << summary.epochs << " epochs, " << summary.samplesPerSecond
       << " samples/s";
  log.line(done.str());
  if (summary.stoppedBySignal) {
    log.line(std::string("stopped by ") + (summary.stoppedBySignal == SIGINT ? "SIGINT" : "SIGTERM") +
             " after iteration " + std::to_string(summary.iterations) + "; " +
             (summary.lastCheckpoint.empty()
                  ? std::string("checkpointing is off (--checkpoint DIR)")
                  : "checkpoint: " + summary.lastCheckpoint + " (continue with --resume " +
                        o.checkpoint + ")") +
             "; model: " + modelPath);
    return 128 + summary.stoppedBySignal;
  }
  if (summary.lastCheckpoint.size()) log.line("last checkpoint: " + summary.lastCheckpoint);
  if (sets.test) {
    auto results = train::evaluate(model, *sets.test, methods, *criterion, o.batch);
    train::sumAcrossRanks(results, *job.comm);
    std::ostringstream line;
    line << std::fixed << std::setprecision(4) << "test accuracy: " << results[0].value()
         << "  test loss: " << results[1].value();
    log.line(line.str());
    log.record({{"type", "test"}, {"Top1Accuracy", results[0].value()},
                {"Loss", results[1].value()}, {"samples", static_cast<int64_t>(results[0].count)}});
  }
  log.line("model: " + modelPath + "  metrics: " + outDir + "/metrics.jsonl  log: " + outDir +
           "/train.log");
  if (!o.out.empty() && rank0) log.line("report: " + writeRunReport(outDir));
  return 0;
}

int run(TrainOptions& o, const std::vector<std::string>& commandLine) {
  DistSetup job = setUpDistribution(o.dist, o.optim.optim, o.iterations == 0 && o.minLoss > 0);
  if (!job.distributed()) return runTraining(o, commandLine, job);
  try {
    return runTraining(o, commandLine, job);
  } catch (const std::exception& e) {
    abortJob(*job.comm, e);
  }
}

}  // namespace

Subcommand addTrainCommand(CLI::App& app) {
  auto o = std::make_shared<TrainOptions>();
  CLI::App* sub = app.add_subcommand("train", "Train a model and save it with its metrics");
  sub->add_option("--model", o->model, "Built-in model (mlp, lenet5, resnet) or a JSON spec file")
      ->capture_default_str();
  sub->add_option("--model-file", o->modelFile, "Continue training a saved model (.shoal)");
  sub->add_option("--hidden", o->hidden, "mlp hidden layer sizes, e.g. --hidden 1000 or 512,256")
      ->delimiter(',')
      ->capture_default_str();
  addDataOptions(*sub, o->data, /*training=*/true);
  addOptimOptions(*sub, o->optim);
  sub->add_option("--epochs", o->epochs, "Epochs to train")->capture_default_str()->check(CLI::PositiveNumber);
  sub->add_option("--iterations", o->iterations, "Stop after this many steps instead (MaxIteration)")
      ->check(CLI::PositiveNumber);
  sub->add_option("--min-loss", o->minLoss, "Stop when a step's loss falls below this (MinLoss)")
      ->check(CLI::PositiveNumber);
  sub->add_option("--batch", o->batch, "Mini-batch size")->capture_default_str()->check(CLI::PositiveNumber);
  sub->add_option("--loss", o->loss,
                  "Criterion: nll (ClassNLL, for LogSoftMax outputs), ce (CrossEntropy, for raw "
                  "scores), auto (nll when the model ends in LogSoftMax)")
      ->check(CLI::IsMember({"auto", "nll", "ce"}))
      ->capture_default_str();
  sub->add_option("--seed", o->seed, "Seed for initialisation, shuffling and dropout")->capture_default_str();
  sub->add_option("--out", o->out, "Run directory for model.shoal, metrics.jsonl and train.log, and "
                                   "report.html when given (default: runs/<model>-<date>-<time>)");
  sub->add_option("--validate-every", o->validateEvery,
                  "Validate every N iterations instead of every epoch")
      ->check(CLI::PositiveNumber);
  sub->add_option("--threads", o->threads, "Compute threads (default: all cores, shared out among the MPI ranks on this machine)")->check(CLI::PositiveNumber);
  sub->add_flag("--quiet", o->quiet, "Only errors on the terminal (files are still written)");
  sub->add_option("--checkpoint", o->checkpoint,
                  "Directory for checkpoints (model, optimiser state, position, random state)");
  sub->add_option("--checkpoint-every", o->checkpointEvery,
                  "When to checkpoint: 'epoch' or every N iterations")
      ->capture_default_str();
  sub->add_option("--keep", o->keep, "Checkpoints kept (the newest)")->capture_default_str()->check(CLI::PositiveNumber);
  sub->add_option("--resume", o->resume,
                  "Continue from the newest valid checkpoint in DIR (give the same flags as the first run)");
  addDistOptions(*sub, o->dist);
  sub->add_flag("--profile", o->profile,
                "Time each layer's forward and backward, the data and the optimiser: a table per "
                "epoch and \"profile\" in the epoch records of metrics.jsonl");
  sub->add_option("--stats-every", o->statsEvery,
                  "Record per-layer weight and gradient norms and update ratios every N steps (0: off)")
      ->check(CLI::NonNegativeNumber);
  return {sub, [o, sub] {
            std::vector<std::string> args{"shoal", "train"};
            for (const auto& opt : sub->get_options()) {
              if (opt->count() == 0 || opt->get_single_name() == "help") continue;
              std::string name = "--" + opt->get_single_name();
              if (opt->get_expected_max() == 0) {  // a flag
                args.push_back(name);
              } else {
                for (const auto& r : opt->results()) args.push_back(name + " " + r);
              }
            }
            return run(*o, args);
          }};
}

}  // namespace shoal::cli
