// train::RunConfig: everything a training run is, declared once (JSON form: config.json, shoal train --config).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace shoal::train {

// The network: a zoo name ("mlp", "lenet5") or a JSON spec path, built for the data; or a saved
// model file to continue training.
struct ModelConfig {
  std::string name = "mlp";
  std::vector<int64_t> hidden{1000};  // mlp hidden layer sizes
  std::string file;                   // a saved model (.shoal); overrides name
};

// Where the samples come from: one kind of source (a named set, IDX files or CSV files).
struct DataConfig {
  std::string named;  // "fashion-mnist"
  std::string trainImages, trainLabels, testImages, testLabels;
  std::string trainCsv, testCsv;
  std::string labelColumn = "0";  // CSV: 0-based index or header name
  bool noLabel = false;           // CSV files have no label column
  int64_t trainLimit = 0, testLimit = 0;  // 0: all samples
  std::string preprocessing = "none";     // CSV: none, scale (min-max) or standardize
  // Typed tables (data::TableOptions): CSV files read with inferred column types, missing
  // values and categories, encoded by a schema fitted on the training rows and stored in the
  // model file. On for the "tabular" model, or with `table` for any model (every category one-hot).
  bool table = false;
  std::vector<std::string> categorical, numeric, ignore;  // type overrides: column names or indices
  std::vector<std::string> embed, oneHot;                 // categorical columns: Embedding / one-hot
  std::vector<std::string> missing{"", "NA", "NaN", "null"};
  std::string impute = "mean";       // mean, median
  int64_t embedThreshold = 16;       // more categories than this: Embedding (tabular)
  int64_t maxCategories = 100000;
  std::string typeErrors = "error";  // error, missing
  // The share of the training rows held out as the test set when no test CSV is given (typed
  // tables only; 0: none). Rows are picked by a hash of the seed and the row's index.
  double holdout = 0.2;
  // A directory for the table cache (data::table_cache.hpp): each rank's encoded rows, written on
  // the first read and mapped by later runs while the sources and settings are unchanged;
  // training then streams batches from the mapped file with a block shuffle. Empty: no cache.
  std::string cache;
};

// The optimisation method and its learning-rate schedule.
struct OptimConfig {
  std::string method = "sgd";  // sgd, adam, lbfgs
  std::optional<double> lr;    // default per method: sgd 0.01, adam 0.001, lbfgs 1
  double momentum = 0, dampening = 0;
  bool nesterov = false;
  double weightDecay = 0;
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;  // adam
  std::string schedule = "none";  // none, step:EPOCHS:GAMMA, exp:ITERATIONS:RATE, poly:POWER:MAX
  int64_t warmup = 0;
  int64_t lbfgsIterations = 20;
  bool lineSearch = false;
};

// When training ends: after `iterations` steps, else when a step's loss is below `minLoss`,
// else after `epochs` epochs.
struct EndConfig {
  int64_t epochs = 10;
  int64_t iterations = 0;
  double minLoss = 0;
};

// How the ranks of a data-parallel job keep their replicas consistent, and talk.
struct DistConfig {
  std::string strategy = "allreduce";  // allreduce, average, lbfgs
  int64_t averageEvery = 0;            // 0: not given (10 for average)
  std::string shard = "contiguous";    // contiguous, strided, local (each rank's training data is its own)
  double commTimeout = 120;            // seconds; 0: forever
  bool sharedMemory = true;
  // Which communicator: "auto" (Open MPI under mpirun, Gloo when a rendezvous is given, else one
  // process), "mpi" or "gloo". Gloo's ranks meet at `rendezvous` ("HOST:PORT" that rank 0 listens
  // on, or "file:DIR"); unset values come from the environment (dist::resolveFromEnvironment).
  std::string comm = "auto";
  std::string rendezvous;
  int64_t worldSize = 0;  // 0: from the environment
  int64_t rank = -1;      // -1: from the environment
  std::string jobSecretFile;  // the job secret's file (else SHOAL_JOB_SECRET); never the secret itself
  // How allreduce moves gradients (dist::ExchangeOptions): "none", "bf16" (half the bytes) or
  // "threshold" (DL4J's threshold encoding with error feedback)
  std::string compress = "none";
  double thresholdDensity = 0.01;  // threshold: target fraction of elements sent per step, in (0, 1]
  bool overlap = false;            // reduce gradient buckets on a communication thread during backward
  double bucketMb = 1;             // bucket size in MB (10^6 bytes) of fp32 gradients
  // Ranks on several hosts: gradients summed per host in shared memory, then between one leader
  // per host: "auto" (when some host runs more than one rank), "on", "off".
  std::string hierarchical = "auto";
};

struct CheckpointConfig {
  std::string dir;             // empty: no checkpoints (unless resuming)
  std::string every = "epoch";  // "epoch" or a number of iterations
  int64_t keep = 3;
};

// What validation and the test compute, and which share of the training set validation holds out.
struct ValidationConfig {
  // Method names (validationMethodNamed): top1, top5, loss, mae, auc, pr_auc, logloss, precision,
  // recall, f1.
  std::vector<std::string> methods{"top1", "loss"};
  double threshold = 0.5;  // precision, recall, F1 and the confusion matrix: P(class 1) >= threshold
  double split = 0;        // a share of the training set held out for validation (0: none)
  bool stratify = false;   // hold out the same share of every class
  int64_t batch = 0;       // batch size of validation; 0: the training batch
  // Early stopping (needs a validation set held out from training: `split`, or one given through
  // the API): stop after this many validations without improvement and keep the best one's
  // weights; 0: off. `earlyStopMetric`: the method it watches (one of `methods`; empty: the first).
  int64_t earlyStop = 0;
  std::string earlyStopMetric;
};

struct OutputConfig {
  std::string dir;      // run directory; empty: runs/<model>-<date>-<time>
  bool quiet = false;   // log lines to files only
  bool report = false;  // write report.html into the run directory
};

struct RunConfig {
  ModelConfig model;
  DataConfig data;
  // nll, ce, auto (nll when the model ends in LogSoftMax) on class labels; mse on numeric targets
  // (data sets given from Python or Spark with float targets).
  std::string loss = "auto";
  // Per-class weights of the loss: "none", "balanced" (n_samples / (classes * n_class), from the
  // training set) or one weight per class, "w0,w1,...".
  std::string classWeight = "none";
  OptimConfig optim;
  EndConfig end;
  int64_t batch = 128;
  // What the matrix products and convolutions read: "fp32", "bf16" (accumulated in f32; master
  // weights, gradients and optimiser state stay f32) or "auto" (bf16 where the processor has
  // bf16 instructions). nn::resolvePrecision.
  std::string precision = "fp32";
  uint64_t seed = 1;
  bool shuffle = true;
  int64_t validateEvery = 0;  // iterations between validations; 0: every epoch
  ValidationConfig validation;
  DistConfig dist;
  CheckpointConfig checkpoint;
  std::string resume;  // continue from the newest checkpoint in this directory
  int64_t threads = 0;  // 0: all cores, shared out among the ranks on a machine
  bool profile = false;
  int64_t statsEvery = 0;  // 0: off
  OutputConfig output;

  // Every key, defaults included: {"model": {...}, "data": {...}, "loss", "optim": {...}, ...}.
  nlohmann::json toJson() const;
  // Keys left out keep their defaults. InputError naming the key path for an unknown key or a
  // wrong type: run config: "optim.lr": expected a number, got "fast".
  static RunConfig fromJson(const nlohmann::json& j);
  static RunConfig fromFile(const std::string& path);

  // Checks values and combinations; ConfigError names the key.
  void check() const;
  // The checkpoint interval: 0 for "epoch", else the number of iterations.
  int64_t checkpointEveryIterations() const;
};

}  // namespace shoal::train
