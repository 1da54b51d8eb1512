// `shoal eval`: accuracy, loss (or the metrics chosen with --metrics) of a saved model on a labelled data set.
#include <iomanip>
#include <iostream>

#include "commands.hpp"
#include "data_options.hpp"
#include "flag_names.hpp"
#include "shoal/error.hpp"
#include "shoal/train/hardware.hpp"
#include "shoal/train/saved_model.hpp"

namespace shoal::cli {
namespace {

struct EvalOptions {
  std::string modelFile;
  train::DataConfig data;
  int64_t batch = 512;
  int threads = 0;
  std::string precision = "fp32";
  std::vector<std::string> metrics{"top1", "top5", "loss"};
  double threshold = 0.5;
};

void run(EvalOptions& o) {
  train::useThreads(o.threads);
  train::ModelOnData loaded = loadModelOnData(o.modelFile, o.data, train::DataUse::Evaluation);
  const std::string note = train::setModelPrecision(*loaded.model.model, o.precision);
  if (!note.empty()) std::cerr << "shoal: note: " << note << "\n";
  const data::Dataset& data = loaded.data;
  std::vector<train::ValidationMethod> methods;
  for (const std::string& name : o.metrics) methods.push_back(train::validationMethodNamed(name, o.threshold));
  auto results = train::evaluateModel(*loaded.model.model, data, o.batch, methods);
  std::cout << std::fixed << std::setprecision(4) << "samples: " << data.size() << "\n";
  for (const auto& r : results) {
    const std::string shown = r.name == "Top1Accuracy"   ? "accuracy"
                              : r.name == "Top5Accuracy" ? "top5 accuracy"
                              : r.name == "Loss"         ? "loss"
                                                         : r.name;
    std::cout << shown << ": " << r.value();
    for (size_t c = 0; c < r.perClass.size(); ++c) std::cout << (c ? " " : "  (per class: ") << r.perClass[c];
    std::cout << (r.perClass.empty() ? "\n" : ")\n");
  }
}

}  // namespace

Subcommand addEvalCommand(CLI::App& app) {
  auto o = std::make_shared<EvalOptions>();
  CLI::App* sub = app.add_subcommand("eval", "Evaluate a saved model on labelled data");
  sub->add_option("--model-file", o->modelFile, "Saved model (.shoal)")->required();
  addDataOptions(*sub, o->data, /*training=*/false);
  sub->add_option("--batch", o->batch, "Evaluation batch size")->capture_default_str()->check(CLI::PositiveNumber);
  sub->add_option("--threads", o->threads, "Compute threads (default: all cores)")->check(CLI::PositiveNumber);
  sub->add_option("--precision", o->precision,
                  "What the model's products read: fp32, bf16 or auto (as for train)")
      ->check(CLI::IsMember({"fp32", "bf16", "auto"}))
      ->capture_default_str();
  sub->add_option("--metrics", o->metrics, std::string("What to compute: ") + train::validationMethodNames() +
                                               " (as train's --val-methods)")
      ->delimiter(',')
      ->capture_default_str();
  sub->add_option("--threshold", o->threshold, "Two classes: precision, recall and F1 of class 1 where its "
                                                "probability is at least this")
      ->capture_default_str();
  return {sub, [o] {
            try {
              run(*o);
            } catch (const ConfigError& e) {
              throw UsageError(withFlagNames(e.message(), dataCsvFlag()));
            }
            return 0;
          }};
}

}  // namespace shoal::cli
