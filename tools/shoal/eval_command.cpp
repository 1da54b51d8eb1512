// `shoal eval`: accuracy and loss of a saved model on a labelled data set.
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
};

void run(EvalOptions& o) {
  train::useThreads(o.threads);
  train::ModelOnData loaded = loadModelOnData(o.modelFile, o.data, train::DataUse::Evaluation);
  const std::string note = train::setModelPrecision(*loaded.model.model, o.precision);
  if (!note.empty()) std::cerr << "shoal: note: " << note << "\n";
  const data::Dataset& data = loaded.data;
  auto results = train::evaluateModel(*loaded.model.model, data, o.batch);
  std::cout << std::fixed << std::setprecision(4) << "samples: " << data.size() << "\n"
            << "accuracy: " << results[0].value() << "\n"
            << "top5 accuracy: " << results[1].value() << "\n"
            << "loss: " << results[2].value() << "\n";
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
