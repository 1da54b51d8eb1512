// `shoal eval`: accuracy and loss of a saved model on a labelled data set.
#include <iomanip>
#include <iostream>

#include "commands.hpp"
#include "data_options.hpp"
#include "model_loading.hpp"
#include "shoal/backend/cpu_info.hpp"
#include "shoal/error.hpp"
#include "shoal/train/validation.hpp"

namespace shoal::cli {
namespace {

struct EvalOptions {
  std::string modelFile;
  DataOptions data;
  int64_t batch = 512;
  int threads = 0;
};

void run(EvalOptions& o) {
  backend::setThreadCount(o.threads);
  io::LoadedModel loaded = io::loadModel(o.modelFile);
  if (o.data.noLabel) throw UsageError("eval needs labels (drop --no-label, or use predict)");
  LoadedData sets = loadData(o.data, /*training=*/false, static_cast<int>(loaded.info.classes), false);
  data::Dataset& data = *sets.test;
  fitDataToModel(data, loaded.info, "the data");
  nn::Module& model = *loaded.model;
  auto criterion = criterionFor("auto", model);
  auto results = train::evaluate(model, data,
                                 {train::Top1Accuracy(), train::Top5Accuracy(), train::Loss()},
                                 *criterion, o.batch);
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
  return {sub, [o] { run(*o); return 0; }};
}

}  // namespace shoal::cli
